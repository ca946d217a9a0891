using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Disclosures;

/// <summary>A disclosure's legal ground must be its purpose's legal basis (Art 6(1)); on consent, the consent must be active then.</summary>
public sealed class DisclosureGroundTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _system = factory.Client(Roles.System);
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    internal static object Disclosure(string recipient, string customer, string purpose, string ground, DateTimeOffset at, params string[] categories) =>
        new { recipient, customerNumber = customer, categories, purpose, legalGround = ground, disclosedAt = at, reference = "REF-1" };

    internal static async Task LinkAsync(PrivacyApiFactory factory, string purpose, string category, string recipient)
    {
        using var link = await factory.Client(Roles.Ops).PostJson("/registry/links", new { purpose, category, recipient });
        Assert.True(link.IsSuccessStatusCode || link.StatusCode == HttpStatusCode.Conflict, await link.Content.ReadAsStringAsync());
    }

    /// <summary>Third-party marketing: the seeded registry gives it to no recipient; here ops link the invoicing partner.</summary>
    private Task LinkMarketing() => LinkAsync(factory, "third_party_marketing", "user.contact.email", "invoicing-partner");

    private Task<HttpResponseMessage> Disclose(params object[] disclosures) => _system.PostJson("/disclosures", new { disclosures });

    private Task<long> Disclosed(string customer) => factory.ScalarAsync("SELECT count(*) FROM privacy.disclosures WHERE customer_number = $1", customer);

    private static async Task AssertRefused(HttpResponseMessage response, params string[] fields)
    {
        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(fields, problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    private async Task Withdraw(string customer, string purpose)
    {
        using var response = await _frontend.PostJson($"/consent/subjects/customer/{customer}/withdrawals", new { purposes = new[] { purpose }, channel = "settings_page" });
        await response.ReadOk<JsonElement>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task ALegalGroundThatIsNotThePurposesLegalBasisRefusesTheWholeBatch()
    {
        var customer = TestSubjects.NewCustomer();
        var now = factory.Time.GetUtcNow();

        using var response = await Disclose(
            Disclosure("card-provider", customer, "customer_obligations", "contract", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "consent", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "legal_claims", now, "user.name"),
            Disclosure("invoicing-partner", customer, "billing", "legal_obligation", now, "user.name"));

        await AssertRefused(response, "disclosures[1].legalGround", "disclosures[2].legalGround", "disclosures[3].legalGround");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains("contract", problem.GetProperty("errors").GetProperty("disclosures[1].legalGround")[0].GetString());
        Assert.DoesNotContain(customer, problem.GetRawText());
        Assert.Equal(0, await Disclosed(customer));
    }

    [Fact]
    public async Task LegalClaimsRestOnLegitimateInterestsAndNothingElse()
    {
        // Policy §Utlämning 4: to establish, exercise or defend legal claims, e.g. fraud prevention (Art 6(1)(f)).
        (await factory.Client(Roles.Ops).PostJson("/registry/purposes", new
        {
            key = "fraud_prevention", name = "Prevent fraud and assess credit risk", legalBasis = "legitimate_interests",
            dataSubjects = new[] { "customer" }, retention = "While the claim can be made.",
        })).EnsureSuccessStatusCode();
        await LinkAsync(factory, "fraud_prevention", "user.name", "card-provider");
        var customer = TestSubjects.NewCustomer();
        var now = factory.Time.GetUtcNow();

        using var onContract = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "contract", now, "user.name"));
        using var onConsent = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "consent", now, "user.name"));
        using var onClaims = await Disclose(Disclosure("card-provider", customer, "fraud_prevention", "legal_claims", now, "user.name"));

        await AssertRefused(onContract, "disclosures[0].legalGround");
        await AssertRefused(onConsent, "disclosures[0].legalGround");
        await onClaims.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(1, await Disclosed(customer));
    }

    [Fact]
    public async Task OnTheConsentGroundACustomerWhoNeverConsentedRefusesTheWholeBatch()
    {
        await LinkMarketing();
        var (consented, never) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        await _frontend.Record(ConsentRequests.Decision("customer", consented, [("third_party_marketing", "granted")]));
        await _frontend.Record(ConsentRequests.Decision("customer", never, [("newsletter", "granted")], channel: "signup_form")); // another purpose
        var now = factory.Time.GetUtcNow();

        using var response = await Disclose(
            Disclosure("invoicing-partner", consented, "third_party_marketing", "consent", now, "user.contact.email"),
            Disclosure("invoicing-partner", never, "third_party_marketing", "consent", now, "user.contact.email"));

        await AssertRefused(response, "disclosures[1].legalGround");
        Assert.Equal(0, await Disclosed(consented) + await Disclosed(never));
        using var alone = await Disclose(Disclosure("invoicing-partner", consented, "third_party_marketing", "consent", now, "user.contact.email"));
        await alone.ReadOk<JsonElement>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AfterAWithdrawalTheConsentGroundHoldsOnlyForWhatWasGivenBefore()
    {
        await LinkMarketing();
        var customer = TestSubjects.NewCustomer();
        await _frontend.Record(ConsentRequests.Decision("customer", customer, [("third_party_marketing", "granted")]));
        var granted = factory.Time.GetUtcNow();
        factory.Time.Advance(TimeSpan.FromHours(2));
        await Withdraw(customer, "third_party_marketing");
        factory.Time.Advance(TimeSpan.FromMinutes(1));

        using var after = await Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", factory.Time.GetUtcNow(), "user.contact.email"));
        using var before = await Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", granted.AddHours(1), "user.contact.email"));
        using var beforeConsent = await Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", granted.AddMinutes(-1), "user.contact.email"));

        await AssertRefused(after, "disclosures[0].legalGround");
        await before.ReadOk<JsonElement>(HttpStatusCode.Created); // logged late, but given while the consent held
        await AssertRefused(beforeConsent, "disclosures[0].legalGround");
        Assert.Equal(1, await Disclosed(customer));
    }

    [Fact]
    public async Task AnExpiredConsentIsNoGround()
    {
        await LinkMarketing();
        var customer = TestSubjects.NewCustomer();
        await _frontend.Record(ConsentRequests.Decision("customer", customer, [("third_party_marketing", "granted")]));
        var granted = factory.Time.GetUtcNow();
        factory.Time.Advance(TimeSpan.FromDays(400)); // Consent:ValidityMonths is 12

        using var expired = await Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", factory.Time.GetUtcNow(), "user.contact.email"));
        using var whileValid = await Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", granted.AddDays(30), "user.contact.email"));

        await AssertRefused(expired, "disclosures[0].legalGround");
        await whileValid.ReadOk<JsonElement>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AWithdrawalCommittingDuringTheCheckIsSeenByIt()
    {
        await LinkMarketing();
        var customer = TestSubjects.NewCustomer();
        await _frontend.Record(ConsentRequests.Decision("customer", customer, [("third_party_marketing", "granted")]));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        var withdrawnAt = factory.Time.GetUtcNow();

        // A withdrawal in flight: it holds the customer's consent lock, as the recorder does, and has not committed yet.
        await using var connection = await factory.OpenDatabaseAsync();
        await using var withdrawal = await connection.BeginTransactionAsync();
        await using (var lockCustomer = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, withdrawal))
        {
            lockCustomer.Parameters.AddWithValue($"consent:Customer:{customer}");
            await lockCustomer.ExecuteNonQueryAsync();
        }

        var disclosing = Disclose(Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", withdrawnAt.AddSeconds(30), "user.contact.email"));

        // Act: once the disclosure waits for the lock (or has answered without waiting), the withdrawal commits.
        while (!disclosing.IsCompleted && await factory.ScalarAsync("""
                   SELECT count(*) FROM pg_locks
                   WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   """) == 0)
        {
            await Task.Delay(20);
        }

        var eventId = Guid.CreateVersion7();
        foreach (var sql in new[]
                 {
                     """
                     INSERT INTO privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, language, gpc, occurred_at, recorded_by)
                     VALUES ($1, 'Customer', $2, 'Withdrawal', '2022-02-08', 'Ops', 'sv', false, $3, 'test')
                     """,
                     """
                     INSERT INTO privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at)
                     VALUES ($1, 'third_party_marketing', false, false, 'Customer', $2, $3)
                     """,
                 })
        {
            await using var insert = new NpgsqlCommand(sql, connection, withdrawal);
            insert.Parameters.AddWithValue(eventId);
            insert.Parameters.AddWithValue(customer);
            insert.Parameters.AddWithValue(withdrawnAt);
            await insert.ExecuteNonQueryAsync();
        }

        await withdrawal.CommitAsync();

        // Assert: the check waited for the withdrawal and saw it; nothing was disclosed after it on a consent that was gone.
        using var response = await disclosing;
        await AssertRefused(response, "disclosures[0].legalGround");
        Assert.Equal(0, await Disclosed(customer));
    }

    [Fact]
    public async Task AWithdrawalThroughALinkedVisitorWaitsForAConsentCheckOnTheCustomer()
    {
        var (customer, visitor) = (TestSubjects.NewCustomer(), ConsentRequests.NewVisitorId());
        await _frontend.Record(ConsentRequests.Decision("visitor", visitor, [("newsletter", "granted")], channel: "signup_form"));
        (await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();

        // A consent check on the customer in flight (ConsentCheck holds the customer's lock until its disclosures commit).
        await using var connection = await factory.OpenDatabaseAsync();
        await using var check = await connection.BeginTransactionAsync();
        await using (var lockCustomer = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, check))
        {
            lockCustomer.Parameters.AddWithValue($"consent:Customer:{customer}");
            await lockCustomer.ExecuteNonQueryAsync();
        }

        // Act
        var withdrawing = _frontend.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals", new { purposes = new[] { "newsletter" }, channel = "email_link" });
        var waited = false;
        while (!withdrawing.IsCompleted && !waited)
        {
            waited = await factory.ScalarAsync("""
                SELECT count(*) FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """) > 0;
            await Task.Delay(20);
        }

        await check.CommitAsync();

        // Assert: the withdrawal, though for the visitor, waited for the check on the customer it is linked to; then it went through.
        Assert.True(waited, "the withdrawal did not wait for the customer's consent lock");
        using var response = await withdrawing;
        await response.ReadOk<JsonElement>(HttpStatusCode.Created);
    }

    [Fact]
    public async Task AConsentAVisitorLinkedToTheCustomerGaveCounts()
    {
        await LinkAsync(factory, "newsletter", "user.contact.email", "invoicing-partner");
        var (customer, visitor) = (TestSubjects.NewCustomer(), ConsentRequests.NewVisitorId());
        await _frontend.Record(ConsentRequests.Decision("visitor", visitor, [("newsletter", "granted")], channel: "signup_form"));
        var now = factory.Time.GetUtcNow();

        using var unlinked = await Disclose(Disclosure("invoicing-partner", customer, "newsletter", "consent", now, "user.contact.email"));
        (await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();
        using var linked = await Disclose(Disclosure("invoicing-partner", customer, "newsletter", "consent", now, "user.contact.email"));

        await AssertRefused(unlinked, "disclosures[0].legalGround");
        await linked.ReadOk<JsonElement>(HttpStatusCode.Created);
    }
}

/// <summary>A material policy change: consents given under the replaced version are no ground from the day it takes effect.</summary>
public sealed class DisclosureGroundMaterialChangeTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task AConsentGivenUnderAVersionAMaterialChangeReplacedIsNoGround()
    {
        await DisclosureGroundTests.LinkAsync(factory, "third_party_marketing", "user.contact.email", "invoicing-partner");
        var customer = TestSubjects.NewCustomer();
        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("customer", customer, [("third_party_marketing", "granted")]));
        var effective = factory.Time.GetUtcNow().AddDays(10);
        (await factory.Client(Roles.Ops).PostJson("/consent/policy-versions", new
        {
            version = "2026-12-05", effectiveFrom = effective, material = true, summary = "New recipients.", textSv = "Ny policy.", textEn = "New policy.",
        })).EnsureSuccessStatusCode();
        factory.Time.Advance(TimeSpan.FromDays(11));
        var system = factory.Client(Roles.System);

        using var after = await system.PostJson("/disclosures", new
        {
            disclosures = new[] { DisclosureGroundTests.Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", effective.AddDays(1), "user.contact.email") },
        });
        using var before = await system.PostJson("/disclosures", new
        {
            disclosures = new[] { DisclosureGroundTests.Disclosure("invoicing-partner", customer, "third_party_marketing", "consent", effective.AddDays(-1), "user.contact.email") },
        });

        var problem = await after.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["disclosures[0].legalGround"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        await before.ReadOk<JsonElement>(HttpStatusCode.Created);
    }
}
