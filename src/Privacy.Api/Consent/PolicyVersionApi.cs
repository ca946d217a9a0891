using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Consent;

/// <summary>Published versions of the privacy policy (sv and en).</summary>
public static class PolicyVersionApi
{
    public static void Map(RouteGroupBuilder consent)
    {
        var group = consent.MapGroup("/policy-versions");

        group.MapGet("/", List)
            .WithName("ListPolicyVersions")
            .WithSummary("List published policy versions")
            .WithDescription("Newest first, without their texts. `current` marks the version in effect now.")
            .RequireAuthorization(Policies.NotPartner);
        group.MapGet("/current", GetCurrent)
            .WithName("GetCurrentPolicyVersion")
            .WithSummary("Read the policy version in effect now, with its texts")
            .WithDescription("What the banner links to and records as `policyVersion`. The text hashes are the notice hashes of the policy texts.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.NotPartner);
        group.MapGet("/{version}", Get)
            .WithName("GetPolicyVersion")
            .WithSummary("Read one policy version with its texts")
            .WithDescription("Any published version, earlier, current or still to come, with its Swedish and English texts and their " +
                             "SHA-256 hashes; `current` says whether it is the version in effect now.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.NotPartner);
        group.MapPost("/", Publish)
            .WithName("PublishPolicyVersion")
            .WithSummary("Publish a new policy version")
            .WithDescription("Takes effect at `effectiveFrom` (which must be later than every earlier version's). A `material` version " +
                             "makes every consent given under an earlier version show `reconsentRequired` once it takes effect.")
            .WithRequestExample(new PublishPolicyVersionRequest("2026-12-01", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(1)),
                true, "New recipient: e-mail service provider.", "Integritetspolicy … (hela texten)", "Privacy policy … (the full text)"))
            .WithValidation<PublishPolicyVersionRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
    }

    public static async Task<Ok<List<PolicyVersionResponse>>> List(PrivacyDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var current = await CurrentVersion(db, now, cancellationToken);
        var versions = await db.Set<PolicyVersion>().AsNoTracking().OrderByDescending(v => v.EffectiveFrom)
            .Select(v => new PolicyVersionResponse(v.Version, v.EffectiveFrom, v.Material, v.Summary, v.Version == current,
                v.TextSvSha256, v.TextEnSha256, v.PublishedAt, null, null))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(versions);
    }

    public static async Task<Results<Ok<PolicyVersionResponse>, ProblemHttpResult>> GetCurrent(PrivacyDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var current = await CurrentVersion(db, time.GetUtcNow(), cancellationToken);
        return current is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No policy version is in effect yet.")
            : await Get(current, db, time, cancellationToken);
    }

    public static async Task<Results<Ok<PolicyVersionResponse>, ProblemHttpResult>> Get(string version, PrivacyDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var found = await db.Set<PolicyVersion>().AsNoTracking().SingleOrDefaultAsync(v => v.Version == version, cancellationToken);
        if (found is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "There is no such policy version.");
        }

        var current = await CurrentVersion(db, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(ToResponse(found, found.Version == current));
    }

    public static async Task<Results<Created<PolicyVersionResponse>, ProblemHttpResult, ValidationProblem>> Publish(
        PublishPolicyVersionRequest request, HttpContext http, PrivacyDbContext db, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await db.Set<PolicyVersion>().AnyAsync(v => v.Version == request.Version, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Version exists",
                detail: $"Policy version '{request.Version}' is already published; versions are never changed.");
        }

        var latest = await db.Set<PolicyVersion>().MaxAsync(v => (DateTimeOffset?)v.EffectiveFrom, cancellationToken);
        if (latest is not null && request.EffectiveFrom <= latest)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["effectiveFrom"] = [$"'effectiveFrom' must be later than the latest published version's ({latest:O})."],
            });
        }

        var version = New(request.Version!, request.EffectiveFrom!.Value, request.Material!.Value, request.Summary, request.TextSv!,
            request.TextEn!, time.GetUtcNow(), http.User.GetActor().KeyId);
        db.Add(version);
        audit.Record("consent.policy_version.published", "policy_version", version.Version,
            new { version.EffectiveFrom, version.Material, version.TextSvSha256, version.TextEnSha256 });
        await db.SaveChangesAsync(cancellationToken);
        var current = await CurrentVersion(db, time.GetUtcNow(), cancellationToken);
        return TypedResults.Created($"/consent/policy-versions/{version.Version}", ToResponse(version, version.Version == current));
    }

    internal static PolicyVersion New(string label, DateTimeOffset effectiveFrom, bool material, string? summary, string textSv, string textEn,
        DateTimeOffset now, string publishedBy) => new()
    {
        Version = label,
        EffectiveFrom = AuditTrail.TruncateToMicroseconds(effectiveFrom),
        Material = material,
        Summary = summary,
        TextSv = textSv,
        TextEn = textEn,
        TextSvSha256 = ConsentRecorder.Sha256Hex(textSv),
        TextEnSha256 = ConsentRecorder.Sha256Hex(textEn),
        PublishedAt = now,
        PublishedBy = publishedBy,
    };

    /// <summary>The versions in effect at <paramref name="now"/>, the current one first: each caller projects what it needs.</summary>
    internal static IQueryable<PolicyVersion> InEffect(PrivacyDbContext db, DateTimeOffset now) =>
        db.Set<PolicyVersion>().AsNoTracking().Where(v => v.EffectiveFrom <= now).OrderByDescending(v => v.EffectiveFrom);

    private static Task<string?> CurrentVersion(PrivacyDbContext db, DateTimeOffset now, CancellationToken cancellationToken) =>
        InEffect(db, now).Select(v => v.Version).FirstOrDefaultAsync(cancellationToken);

    private static PolicyVersionResponse ToResponse(PolicyVersion v, bool current) =>
        new(v.Version, v.EffectiveFrom, v.Material, v.Summary, current, v.TextSvSha256, v.TextEnSha256, v.PublishedAt, v.TextSv, v.TextEn);
}
