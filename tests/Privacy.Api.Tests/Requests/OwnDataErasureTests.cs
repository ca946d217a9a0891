using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

public sealed class OwnDataErasureTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    [Fact]
    public async Task AnErasureErasesTheProofsAndLinksKeepsGrantedConsentProvableUnderAPseudonymAndAnonymisesTheRest()
    {
        var customer = TestSubjects.NewCustomer();
        var visitor = ConsentRequests.NewVisitorId();
        await _frontend.Record(ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "denied")]));
        (await _frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();
        var granted = await _frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        Assert.Equal("granted", (await _frontend.State("customer", customer)).Purpose("newsletter").GetProperty("status").GetString());

        // Act
        using var response = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } });
        var request = await response.ReadOk<JsonElement>(HttpStatusCode.Created);

        // Assert: the service's own part is done and says what it did.
        var own = Assert.Single(request.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("target").GetString() == "privacy-service");
        Assert.Equal("done", own.GetProperty("status").GetString());
        Assert.Contains("erased: 2", own.GetProperty("outcome").GetString());
        Assert.Contains("kept as proof under a pseudonym: 1", own.GetProperty("outcome").GetString());
        Assert.Contains("anonymised: 1", own.GetProperty("outcome").GetString());
        Assert.Contains("visitor links removed: 1", own.GetProperty("outcome").GetString());

        // Nothing of the customer or the visitor is left in the consent tables; no clear IP address or user agent at all.
        foreach (var table in new[] { "consent_events", "consent_choices" })
        {
            Assert.Equal(0, await factory.ScalarAsync($"SELECT count(*) FROM privacy.{table} WHERE subject_id IN ($1, $2)", customer, visitor));
        }

        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_subject_links WHERE customer_number = $1", customer));
        var receipt = Guid.Parse(granted.GetProperty("receiptId").GetString()!);
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_proofs WHERE event_id = $1 AND ip_address IS NULL AND user_agent IS NULL AND erased_at IS NOT NULL AND ip_address_hash IS NOT NULL", receipt));
        // The granted consent is still provable: policy version, time and notice, under the pseudonym.
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE id = $1 AND subject_id LIKE 'erased:%' AND policy_version = '2022-02-08' AND notice_hash IS NOT NULL", receipt));
        // The state is empty now, in this replica's cache too.
        Assert.NotEqual("granted", (await _frontend.State("customer", customer)).Purpose("newsletter").GetProperty("status").GetString());
        // The audit trail names no one.
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE details::text LIKE '%' || $1 || '%'", customer));
    }

    [Fact]
    public async Task AfterAnErasureNoReplicaStillServesTheCustomersCachedConsent()
    {
        var customer = TestSubjects.NewCustomer(); // no visitor linked: only the choices' own change can tell the caches
        await _frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        Assert.Equal("granted", (await _frontend.State("customer", customer)).Purpose("newsletter").GetProperty("status").GetString());

        (await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } })).EnsureSuccessStatusCode();

        Assert.NotEqual("granted", (await _frontend.State("customer", customer)).Purpose("newsletter").GetProperty("status").GetString());
    }

    [Fact]
    public async Task ConsentEventsStayAppendOnlyApartFromThePseudonym()
    {
        var customer = TestSubjects.NewCustomer();
        var granted = await _frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        var receipt = Guid.Parse(granted.GetProperty("receiptId").GetString()!);

        foreach (var change in new[]
                 {
                     "UPDATE privacy.consent_events SET policy_version = 'forged' WHERE id = $1",
                     "UPDATE privacy.consent_events SET subject_id = 'erased:x', policy_version = 'forged' WHERE id = $1",
                     "UPDATE privacy.consent_choices SET granted = false WHERE event_id = $1",
                     "DELETE FROM privacy.consent_events WHERE id = $1",
                 })
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => factory.ScalarAsync(change, receipt));
            Assert.Equal("42501", refused.SqlState);
        }
    }
}
