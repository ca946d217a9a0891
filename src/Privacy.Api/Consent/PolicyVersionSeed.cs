using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Consent;

/// <summary>Seeds the policy of 2022-02-08 (the Swedish original and its English translation) once.</summary>
internal sealed class PolicyVersionSeed(AuditTrail audit, TimeProvider time) : IDatabaseSeeder
{
    public const string Version = "2022-02-08";

    // Midnight in Åre (CET) on the day the policy says it was updated.
    private static readonly DateTimeOffset EffectiveFrom = new(2022, 2, 8, 0, 0, 0, TimeSpan.FromHours(1));

    public async Task SeedAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Set<PolicyVersion>().AnyAsync(v => v.Version == Version, cancellationToken))
        {
            return;
        }

        var version = PolicyVersionApi.New(Version, EffectiveFrom, material: true, "The policy as published on the website.",
            Resource("privacy-policy.sv.txt"), Resource("privacy-policy.en.txt"), time.GetUtcNow(), Actor.Service.KeyId);
        db.Add(version);
        audit.Record("consent.policy_version.seeded", "policy_version", Version, actor: Actor.Service);
        await db.SaveChangesAsync(cancellationToken);
    }

    private static string Resource(string name)
    {
        using var stream = typeof(PolicyVersionSeed).Assembly.GetManifestResourceStream($"Privacy.Api.Consent.Seed.{name}")
                           ?? throw new InvalidOperationException($"Embedded resource {name} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
