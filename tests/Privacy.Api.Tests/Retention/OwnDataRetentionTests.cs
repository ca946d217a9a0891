using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Retention;

/// <summary>The service's own stores under their seeded rules. One database per class: store counts are the class's own.</summary>
public sealed class OwnDataRetentionTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);

    [Fact]
    public async Task ConsentProofIpAddressesGoTwelveMonthsAfterTheConsentEndedWhileTheEventStillProvesIt()
    {
        var start = factory.Time.GetUtcNow();
        var (changesMind, keeps) = (ConsentRequests.NewVisitorId(), ConsentRequests.NewVisitorId());
        var first = (await _frontend.Record(ConsentRequests.Decision("visitor", changesMind, [("cookies.statistics", "granted")]))).GetProperty("receiptId").GetGuid();
        var kept = (await _frontend.Record(ConsentRequests.Decision("visitor", keeps, [("cookies.statistics", "granted")]))).GetProperty("receiptId").GetGuid();
        factory.Time.SetUtcNow(start.AddMonths(2));
        var second = (await _frontend.Record(ConsentRequests.Decision("visitor", changesMind, [("cookies.statistics", "denied")]))).GetProperty("receiptId").GetGuid();

        // Superseded after two months: the first proof's clock ends twelve months after that, to the microsecond.
        factory.Time.SetUtcNow(start.AddMonths(14).AddTicks(-10));
        await factory.Sweep();
        Assert.Equal([], await Erased(first, kept, second));
        factory.Time.SetUtcNow(start.AddMonths(14));
        await factory.Sweep();
        Assert.Equal([first], await Erased(first, kept, second));

        // The consent is still provable: the event, its choice, the notice hash and the keyed hash of the address.
        Assert.Equal(1, await factory.ScalarAsync("""
            SELECT count(*) FROM privacy.consent_events e JOIN privacy.consent_proofs p ON p.event_id = e.id
            JOIN privacy.consent_choices c ON c.event_id = e.id AND c.purpose_key = 'cookies.statistics' AND c.granted
            WHERE e.id = $1 AND e.policy_version = $2 AND e.notice_hash = $3 AND p.ip_address_hash IS NOT NULL AND p.erased_at = $4
            """, first, ConsentRequests.SeedVersion, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ConsentRequests.BannerText))),
            start.AddMonths(14)));
        var receipt = await _frontend.GetFromJsonAsync<JsonElement>($"/consent/receipts/{first}");
        Assert.Equal(ConsentRequests.SeedVersion, receipt.GetProperty("policyVersion").GetString());
        var history = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/consent/subjects/visitor/{changesMind}/history");
        var erasedEvent = history.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("receiptId").GetGuid() == first);
        Assert.Equal(JsonValueKind.Null, erasedEvent.GetProperty("ipAddress").ValueKind);

        // Never superseded: twelve months after it expired (twelve months after it was given).
        factory.Time.SetUtcNow(start.AddMonths(24));
        await factory.Sweep();
        Assert.Equal([first, kept], await Erased(first, kept, second));
        factory.Time.SetUtcNow(start.AddMonths(26));
        await factory.Sweep();
        Assert.Equal([first, kept, second], await Erased(first, kept, second));
        Assert.True(await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'retention.store_swept' AND entity_id = 'consent-proofs'") >= 3);
    }

    [Fact]
    public async Task ClosedRightsRequestsLoseTheirPersonalDataThreeYearsAfterClosing()
    {
        var ops = factory.Client(Roles.Ops);
        using var submitted = await ops.PostJson("/requests", new
        {
            type = "access", channel = "email", subject = new { email = "anna.retention@example.com", nationalIdentityNumber = "19811218-9876" },
            note = "Letter of 3 March",
        });
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var id = request.GetProperty("id").GetGuid();
        (await ops.PostJson($"/requests/{id}/rejection", new { ground = "identity_not_confirmed", reason = "No answer" })).EnsureSuccessStatusCode();
        var closed = factory.Time.GetUtcNow();

        factory.Time.SetUtcNow(closed.AddYears(3).AddTicks(-10));
        await factory.Sweep();
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_requests WHERE id = $1 AND email IS NOT NULL AND national_id_hash IS NOT NULL AND note IS NOT NULL", id));

        factory.Time.SetUtcNow(closed.AddYears(3));
        await factory.Sweep();
        Assert.Equal(1, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.rights_requests WHERE id = $1 AND email IS NULL AND national_id_hash IS NULL AND note IS NULL AND customer_number IS NULL", id));
        // How it was handled stays: type, dates, every transition.
        var after = await ops.GetFromJsonAsync<JsonElement>($"/requests/{id}");
        Assert.Equal("rejected", after.GetProperty("status").GetString());
        Assert.Equal(2, after.GetProperty("transitions").GetArrayLength());
    }

    [Fact]
    public async Task IdempotencyRecordsGoAfterSevenDaysAndDeliveredMessagesThirtyDaysAfterDelivery()
    {
        var customer = TestSubjects.NewCustomer();
        var key = Guid.NewGuid().ToString();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions"))
        {
            request.Content = JsonContent.Create(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]), options: HttpAssertions.Json);
            request.Headers.Add("Idempotency-Key", key);
            (await _frontend.SendAsync(request)).EnsureSuccessStatusCode();
        }

        // A delivered message and one still pending, both for the invoicing partner (its endpoint set, the retry not due yet), and
        // one for the booking system, which has no webhook endpoint (it reads its task list): never sent, it waits for nothing.
        var created = factory.Time.GetUtcNow();
        await using (var connection = await factory.OpenDatabaseAsync())
        await using (var insert = new Npgsql.NpgsqlCommand("""
                         WITH endpoint AS (INSERT INTO privacy.webhook_endpoints (recipient_key, url, created_at, updated_at)
                                           VALUES ('invoicing-partner', 'https://invoicing.example.com/hooks', $2, $2) ON CONFLICT DO NOTHING)
                         INSERT INTO privacy.outbox_messages (message_id, recipient_key, event_type, payload, ordering_key, created_at, next_attempt_at, delivered_at, attempts)
                         VALUES (gen_random_uuid(), 'invoicing-partner', 'test.delivered', '{}', $1, $2, $2, $2, 1),
                                (gen_random_uuid(), 'invoicing-partner', 'test.pending', '{}', $1, $2, $2 + interval '10 years', NULL, 1),
                                (gen_random_uuid(), 'booking', 'test.unsent', '{}', $1, $2, $2, NULL, 0)
                         """, connection))
        {
            insert.Parameters.AddWithValue(customer);
            insert.Parameters.AddWithValue(created);
            await insert.ExecuteNonQueryAsync();
        }

        factory.Time.SetUtcNow(created.AddDays(7));
        await factory.Sweep();
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.idempotency_records WHERE idempotency_key = $1", key));
        Assert.Equal(3, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = $1", customer));

        factory.Time.SetUtcNow(created.AddDays(30));
        await factory.Sweep();
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = $1 AND event_type = 'test.delivered'", customer));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = $1 AND event_type = 'test.unsent'", customer));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.outbox_messages WHERE ordering_key = $1 AND event_type = 'test.pending'", customer));
    }

    private async Task<List<Guid>> Erased(params Guid[] events)
    {
        var erased = new List<Guid>();
        foreach (var id in events)
        {
            if (await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_proofs WHERE event_id = $1 AND ip_address IS NULL AND user_agent IS NULL", id) == 1)
            {
                erased.Add(id);
            }
        }

        return erased;
    }
}
