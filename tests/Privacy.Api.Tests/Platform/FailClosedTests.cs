using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.Subjects;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Fail closed: only Development gets development keys, the development data key and a private PostgreSQL. Elsewhere the service does
/// not start without its settings, and says which, one line each, exit code 1, no stack trace. The data keys are checked per use.
/// </summary>
public sealed class FailClosedTests
{
    [Theory]
    [InlineData("Staging")]
    [InlineData("Production")]
    [InlineData("Prodution")] // a typo is no Development either
    public async Task OutsideDevelopmentTheServiceRefusesToStartWithoutItsSettingsOneLineEach(string environment)
    {
        var (exitCode, output) = await RunServiceAsync(environment);

        Assert.Equal(1, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var setting in new[] { "ConnectionStrings:Privacy", "ApiKeys:Keys", "DataKeys:ProofHashing:Current", "DataKeys:IdentityNumberHashing:Current",
                     "DataKeys:SecretEncryption:Current", "PrivacyCenter:PublicUrl" })
        {
            Assert.Single(lines, l => l.StartsWith(setting, StringComparison.Ordinal));
        }

        Assert.Contains($"The service cannot start in {environment}: 6 setting(s) to fix.", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("private PostgreSQL cluster", StringComparison.Ordinal)); // it started none
    }

    [Fact]
    public void EachUseNeedsKeysOfItsOwnAndACurrentOneThatIsConfigured()
    {
        var shared = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var options = new DataKeyOptions
        {
            ProofHashing = new() { Current = "a", Keys = { ["a"] = shared } },
            IdentityNumberHashing = new() { Current = "b", Keys = { ["b"] = shared } },
            SecretEncryption = new() { Current = "missing", Keys = { ["legacy"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), ["c"] = "dG9vIHNob3J0" } },
        };

        var result = Validate("Staging", options);

        Assert.Equal(
        [
            "DataKeys:IdentityNumberHashing:Keys:b is the same key as DataKeys:ProofHashing:Keys:a: each use needs keys of its own.",
            "DataKeys:SecretEncryption:Keys:legacy: a key id is 1–32 lower-case letters, digits, '.', '_' or '-' (and not 'legacy').",
            "DataKeys:SecretEncryption:Keys:c must be base64 of at least 32 random bytes (openssl rand -base64 32).",
            "DataKeys:SecretEncryption:Current names 'missing', which is not one of DataKeys:SecretEncryption:Keys.",
        ], result.Failures);
        Assert.DoesNotContain(shared, result.FailureMessage); // a key never reaches the output
    }

    [Fact]
    public void OnlyDevelopmentRunsOnTheDevelopmentKeyWithoutConfiguration()
    {
        Assert.True(Validate("Development", new DataKeyOptions()).Succeeded);
        var keyring = Keyring("Development", new DataKeyOptions(), legacy: null);
        Assert.All(Enum.GetValues<DataKeyUse>(), use => Assert.Equal(DataKeyring.LegacyKeyId, keyring.Current(use).Id));

        Assert.Equal(3, Validate("Testing", new DataKeyOptions()).Failures!.Count());
        Assert.All(Enum.GetValues<DataKeyUse>(), use => Assert.Empty(Keyring("Testing", new DataKeyOptions(), legacy: null).Active(use)));
    }

    [Fact]
    public async Task AValueFromBeforeTheKeyringStillMatchesUnderTheLegacyKeyWhichIsNeverCurrent()
    {
        var legacy = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var factory = new PrivacyApiFactory().WithSetting("Consent:ProofHashKey", legacy);
        await factory.InitializeAsync();
        var (customer, number) = (TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        var system = factory.Client(Roles.System);
        (await system.PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.government_id.national_identification_number" },
                      purpose = "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        // What the service before the keyring wrote: the hash under a key derived from Consent:ProofHashKey, and no key id.
        Assert.True(SwedishIdentityNumber.TryParse(number, new DateOnly(2026, 11, 25), out var parsed));
        var oldHash = SwedishIdentityNumber.KeyedHash(parsed.Normalized, HMACSHA256.HashData(Convert.FromBase64String(legacy), "national-identity-number"u8));
        await factory.ScalarAsync("""
            WITH copied AS (
                INSERT INTO privacy.disclosures (recipient_key, purpose_key, legal_ground, customer_number, national_id_hash, national_id_key_id,
                                                 categories, disclosed_at, sender_reference, recorded_by, recorded_at)
                SELECT recipient_key, purpose_key, legal_ground, customer_number, $2, NULL, categories, disclosed_at, sender_reference,
                       recorded_by, recorded_at
                FROM privacy.disclosures WHERE customer_number = $1 RETURNING 1)
            SELECT count(*) FROM copied
            """, customer, oldHash);

        var found = await (await system.PostJson("/disclosures/search", new { nationalIdentityNumber = number })).ReadOk<JsonElement>();

        Assert.Contains(found.GetProperty("items").EnumerateArray(), d => d.GetProperty("customerNumber").GetString() == customer);
        var keys = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/operations/data-keys");
        var identity = keys.GetProperty("uses").EnumerateArray().Single(u => u.Text("use") == "identity_number_hashing");
        Assert.Equal("test-1", identity.Text("current"));
        Assert.Equal(1, identity.GetProperty("keys").EnumerateArray().Single(k => k.Text("id") == DataKeyring.LegacyKeyId).GetProperty("protects").GetInt64());
    }

    [Theory]
    [InlineData("Production", null, false)]
    [InlineData("Production", "http://privacy.smultronsites.se", false)] // the links carry status tokens and unsubscribe links
    [InlineData("Production", "https://privacy.smultronsites.se/?x=1", false)]
    [InlineData("Production", "https://privacy.smultronsites.se", true)]
    [InlineData("Development", null, true)]
    [InlineData("Development", "http://localhost:5081", true)]
    public void ThePublicAddressOfTheLinksInMessagesIsHttpsOutsideDevelopment(string environment, string? url, bool valid) =>
        Assert.Equal(valid, new Privacy.Api.PrivacyCenter.PrivacyCenterOptionsValidation(new HostingEnvironment { EnvironmentName = environment })
            .Validate(null, new Privacy.Api.PrivacyCenter.PrivacyCenterOptions { PublicUrl = url }).Succeeded);

    private static ValidateOptionsResult Validate(string environment, DataKeyOptions options) =>
        new DataKeyOptionsValidation(new HostingEnvironment { EnvironmentName = environment }, Options.Create(new ConsentOptions())).Validate(null, options);

    private static DataKeyring Keyring(string environment, DataKeyOptions options, string? legacy) =>
        new(Options.Create(options), Options.Create(new ConsentOptions { ProofHashKey = legacy }), new HostingEnvironment { EnvironmentName = environment });

    /// <summary>Starts the built service as its own process, with nothing configured but the environment, and waits for it to exit.</summary>
    private static async Task<(int ExitCode, string Output)> RunServiceAsync(string environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Privacy.Api.dll"));
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var name in start.Environment.Keys.Where(k => k.Contains("__", StringComparison.Ordinal) || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name); // nothing from the test runner's environment configures it
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = environment;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a guard against a service that starts after all, not a speed bound
        try
        {
            await process.WaitForExitAsync(hang.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"The service did not exit in {environment} without its settings: it started.");
        }

        return (process.ExitCode, await output + await error);
    }
}
