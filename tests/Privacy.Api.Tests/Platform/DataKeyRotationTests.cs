using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Rotating a data key: one instance runs with the first keys, a second on the same database has a new current key beside the old one
/// (what a rolling rotation leaves on the replicas). What the first protected still checks, matches and decrypts on the second; what
/// the second makes uses its new key; webhook secrets move to it; a key something still refers to cannot be retired.
/// </summary>
public sealed class DataKeyRotationTests : IAsyncLifetime
{
    private static readonly string NewKey = Convert.ToBase64String("rotated-data-key-of-at-least-32-bytes"u8);

    private readonly PrivacyApiFactory _before = Allowing(new PrivacyApiFactory());
    private PrivacyApiFactory _after = null!;

    public async Task InitializeAsync()
    {
        await _before.InitializeAsync();
        _after = Allowing(new PrivacyApiFactory().UsingDatabaseOf(_before));
        foreach (var use in PrivacyApiFactory.DataKeys.Keys)
        {
            // Each use gets its own new key: the same key in two uses is refused (DataKeyValidationTests).
            _after.WithSetting($"DataKeys:{use}:Keys:test-2", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{use}-rotated-key-of-32-bytes-or-more")))
                .WithSetting($"DataKeys:{use}:Current", "test-2");
        }

        _ = _after.Services;
    }

    public async Task DisposeAsync()
    {
        await _after.DisposeAsync();
        await _before.DisposeAsync();
    }

    [Fact]
    public async Task AConsentProofMadeBeforeARotationStillChecksUnderItsOwnKey()
    {
        var visitor = ConsentRequests.NewVisitorId();
        var old = await _before.Client(Roles.Ops).Record(ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted")]));
        var recent = await _after.Client(Roles.Ops).Record(ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "denied")]));

        var ops = _after.Client(Roles.Ops);
        foreach (var (receipt, keyId) in new[] { (old, "test-1"), (recent, "test-2") })
        {
            var id = receipt.GetProperty("receiptId").GetString();
            var same = await (await ops.PostJson($"/consent/receipts/{id}/proof-check",
                new { ipAddress = "203.0.113.7", userAgent = "Mozilla/5.0 (X11; Linux x86_64) test" })).ReadOk<JsonElement>();
            Assert.Equal(("matches", "matches", keyId), (same.Text("ipAddress"), same.Text("userAgent"), same.Text("keyId")));
            var other = await (await ops.PostJson($"/consent/receipts/{id}/proof-check", new { ipAddress = "203.0.113.8" })).ReadOk<JsonElement>();
            Assert.Equal("does_not_match", other.Text("ipAddress"));
        }

        Assert.Equal(1, await _before.ScalarAsync("SELECT count(*) FROM privacy.consent_proofs WHERE event_id = $1::uuid AND key_id = 'test-1'",
            old.GetProperty("receiptId").GetString()!));
    }

    [Fact]
    public async Task APersonnummerGivenAfterARotationFindsWhatWasRecordedBeforeIt()
    {
        var (customer, number) = (TestSubjects.NewCustomer(), TestSubjects.NewPersonnummer());
        await Disclose(_before, customer, number);
        var later = TestSubjects.NewCustomer();
        await Disclose(_after, later, number);

        foreach (var instance in new[] { _before, _after })
        {
            var found = await (await instance.Client(Roles.System).PostJson("/disclosures/search", new { nationalIdentityNumber = number })).ReadOk<JsonElement>();
            var customers = found.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("customerNumber").GetString()!).ToList();
            // The instance without the new key cannot match the newer hash: the rotation is complete once every replica has it.
            Assert.Equal(instance == _after ? [customer, later] : [customer], customers);
        }

        Assert.Equal(1, await _before.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1 AND national_id_key_id = 'test-2'", later));

        // A rights request given the number after the rotation matches the customer of the older disclosure too (Art 15 finds it all).
        var submitted = await (await _after.Client(Roles.Ops).PostJson("/requests",
            new { type = "access", channel = "letter", subject = new { nationalIdentityNumber = number, email = "someone@example.com" } })).ReadOk<JsonElement>(HttpStatusCode.Created);
        var identifier = submitted.GetProperty("identifiers").EnumerateArray().Single(i => i.Text("kind") == "national_identity_number");
        var matches = identifier.GetProperty("matches").EnumerateArray().Select(m => m.GetString()!).Order().ToList();
        Assert.Equal(new[] { customer, later }.Order().ToList(), matches);
    }

    [Fact]
    public async Task WebhookSecretsMoveToTheNewKeyAndStillSignWithTheSameSecret()
    {
        using var created = await _before.Client(Roles.Ops).PutAsJsonAsync("/notifier/endpoints/card-provider", new { url = "http://127.0.0.1:9/hooks" });
        var secret = (await created.ReadOk<JsonElement>(HttpStatusCode.Created)).Text("secret")!;

        var moved = await _after.Services.GetRequiredService<WebhookSecretRekeying>().RekeyAsync(CancellationToken.None);

        Assert.True(moved >= 1);
        await using var connection = await _after.OpenDatabaseAsync();
        await using var read = new Npgsql.NpgsqlCommand("SELECT protected, key_id FROM privacy.webhook_secrets WHERE recipient_key = 'card-provider'", connection);
        await using var reader = await read.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("test-2", reader.GetString(1));
        // The relay signs with what SigningKey gives: the secret the receiver holds, unchanged by the re-encryption.
        Assert.Equal(Convert.FromBase64String(secret[WebhookSecrets.Prefix.Length..]),
            _after.Services.GetRequiredService<WebhookSecrets>().SigningKey(reader.GetFieldValue<byte[]>(0), reader.GetString(1)));
        Assert.Equal(0, await _after.Services.GetRequiredService<WebhookSecretRekeying>().RekeyAsync(CancellationToken.None));
        Assert.Equal(1, await _after.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE action = 'data_key.secrets_reencrypted' AND details->>'to' = 'test-2' AND details::text NOT LIKE '%whsec%'"));
    }

    [Fact]
    public async Task OpsSeeWhatEachKeyProtectsAndAKeyStillReferredToCannotBeRetired()
    {
        await _before.Client(Roles.Ops).Record(ConsentRequests.Decision("visitor", ConsentRequests.NewVisitorId(), [("cookies.statistics", "granted")]));

        var keys = await _after.Client(Roles.Ops).GetFromJsonAsync<JsonElement>("/operations/data-keys");
        var proof = keys.GetProperty("uses").EnumerateArray().Single(u => u.Text("use") == "proof_hashing");
        Assert.Equal("test-2", proof.Text("current"));
        var old = proof.GetProperty("keys").EnumerateArray().Single(k => k.Text("id") == "test-1");
        Assert.True(old.GetProperty("protects").GetInt64() >= 1);
        Assert.False(old.GetProperty("retirable").GetBoolean());
        Assert.DoesNotContain(PrivacyApiFactory.DataKeys["ProofHashing"].Key, keys.GetRawText());
        using var partner = await _after.Client(Roles.Partner).GetAsync("/operations/data-keys");
        Assert.Equal(HttpStatusCode.Forbidden, partner.StatusCode);

        // Retiring test-1 while proofs refer to it: the instance refuses to start, naming the key.
        var retired = new DataKeyring(Options.Create(new DataKeyOptions
        {
            ProofHashing = new() { Current = "test-2", Keys = { ["test-2"] = NewKey } },
            IdentityNumberHashing = new() { Current = "test-1", Keys = { ["test-1"] = PrivacyApiFactory.DataKeys["IdentityNumberHashing"].Key } },
            SecretEncryption = new() { Current = "test-1", Keys = { ["test-1"] = PrivacyApiFactory.DataKeys["SecretEncryption"].Key } },
        }), Options.Create(new ConsentOptions()), new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Production" });
        var check = new DataKeyUsageCheck(_after.Services.GetRequiredService<DataKeyUsage>(), retired, NullLogger<DataKeyUsageCheck>.Instance);
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => check.StartAsync(CancellationToken.None));
        Assert.Contains(refused.Failures, f => f.StartsWith("DataKeys:ProofHashing:Keys:test-1 is not configured", StringComparison.Ordinal));
    }

    private static PrivacyApiFactory Allowing(PrivacyApiFactory factory) =>
        factory.WithSetting("Notifier:AllowHttp", "true").WithSetting("Notifier:AllowPrivateNetworks", "true");

    private static async Task Disclose(PrivacyApiFactory factory, string customer, string number) =>
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.government_id.national_identification_number" },
                      purpose = "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow(), nationalIdentityNumber = number },
            },
        })).EnsureSuccessStatusCode();
}
