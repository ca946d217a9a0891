using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Retention;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Requests;

public sealed class ErasureRequestTests(NotifierFactory factory) : IClassFixture<NotifierFactory>
{
    private readonly HttpClient _system = factory.Client(Roles.System);

    [Fact]
    public async Task AnErasureReachesEverySystemAndBothPartnersByWebhookAndEndsPartiallyCompletedUnderTheBookkeepingAct()
    {
        await using var card = await WebhookReceiver.StartAsync();
        await using var invoicing = await WebhookReceiver.StartAsync();
        var cardSecret = await SetEndpointAsync(factory, card.Url, "card-provider");
        var invoicingSecret = await SetEndpointAsync(factory, invoicing.Url, "invoicing-partner");
        await using var booking = await WebhookReceiver.StartAsync();
        var bookingSecret = await SetEndpointAsync(factory, booking.Url, "booking"); // an internal system that takes its tasks by webhook
        var customer = NewCustomer();
        factory.Time.SetUtcNow(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero));
        (await _system.PostJson("/disclosures", new
        {
            disclosures = new object[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name", "user.financial.credit_card" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
                new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.name", "user.financial.bank_account" },
                      purpose = "billing", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        await factory.ReportClock(customer, "transaction", factory.Time.GetUtcNow()); // an invoice in 2026: accounting records until 2033

        // Act 1: the signed-in customer asks for erasure on the website.
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new
        {
            type = "erasure", subject = new { customerNumber = customer, email = "anna@example.com" }, language = "en",
        });
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var id = request.GetProperty("id").GetString()!;

        // Assert 1: in progress at once, a task for every system and for both recipients; accounting restricts instead of erasing.
        Assert.Equal("in_progress", request.GetProperty("status").GetString());
        Assert.Equal(["received", "identity_verified", "in_progress"], request.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("to").GetString()));
        var tasks = request.GetProperty("tasks").EnumerateArray().ToList();
        Assert.Equal(["accounting", "booking", "card-provider", "email", "invoicing-partner", "privacy-service", "website"], tasks.Select(t => t.GetProperty("target").GetString()).Order());
        var accounting = tasks.Single(t => t.GetProperty("target").GetString() == "accounting");
        Assert.Equal("restrict", accounting.GetProperty("action").GetString());
        Assert.Equal("Bokföringslagen (1999:1078) 7 kap. 2 §", accounting.GetProperty("keptUnder").GetString());
        Assert.Equal("2033-12-31", accounting.GetProperty("keptUntil").GetString());
        Assert.All(tasks.Where(t => t.GetProperty("target").GetString() is "website" or "booking" or "email"), t => Assert.Equal("erase", t.GetProperty("action").GetString()));

        // Assert 2: each partner gets a signed webhook for its own follow-up, about its own categories.
        var cardCall = await Received(card);
        var invoicingCall = await Received(invoicing);
        Assert.True(WebhookReceiver.IsSignedWith(cardCall, cardSecret));
        Assert.True(WebhookReceiver.IsSignedWith(invoicingCall, invoicingSecret));
        var cardData = JsonDocument.Parse(cardCall.Body).RootElement.GetProperty("data");
        Assert.Equal("erase", cardData.GetProperty("action").GetString());
        Assert.Equal($"rights-request:{id}", cardData.GetProperty("reference").GetString());
        Assert.Equal(["user.financial.credit_card", "user.name"], cardData.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        var invoicingData = JsonDocument.Parse(invoicingCall.Body).RootElement.GetProperty("data");
        Assert.Equal(["user.financial.bank_account", "user.name"], invoicingData.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));

        // Act 2: the partners acknowledge their follow-ups; the systems report their tasks from their own lists.
        using (var ack = await factory.Client(Roles.Partner).PostJson(cardData.GetProperty("acknowledge").GetString()!, new { outcome = "done" }))
        {
            ack.EnsureSuccessStatusCode();
        }

        using (var ack = await factory.ClientWithKey(PrivacyApiFactory.OtherPartnerKey).PostJson(invoicingData.GetProperty("acknowledge").GetString()!, new { outcome = "done" }))
        {
            ack.EnsureSuccessStatusCode();
        }

        Assert.Equal("in_progress", (await Request(id)).GetProperty("status").GetString()); // the systems have not answered yet
        var bookingCall = await Received(booking);
        Assert.True(WebhookReceiver.IsSignedWith(bookingCall, bookingSecret));
        var bookingTask = JsonDocument.Parse(bookingCall.Body).RootElement;
        Assert.Equal("rights_request.task", bookingTask.GetProperty("type").GetString());
        Assert.Equal("erase", bookingTask.GetProperty("data").GetProperty("action").GetString());
        Assert.Equal(customer, bookingTask.GetProperty("data").GetProperty("customerNumber").GetString());
        using (var outcome = await factory.SystemClient("booking").PostJson(bookingTask.GetProperty("data").GetProperty("reportAt").GetString()!, new { outcome = "done" }))
        {
            outcome.EnsureSuccessStatusCode();
        }

        foreach (var system in new[] { "website", "email", "accounting" })
        {
            var open = await factory.SystemClient(system).GetFromJsonAsync<JsonElement>("/requests/tasks"); // a bound key lists its own
            var task = Assert.Single(open.GetProperty("items").EnumerateArray(), t => t.GetProperty("requestId").GetString() == id);
            Assert.Equal(customer, task.GetProperty("customerNumber").GetString());
            using var outcome = await factory.SystemClient(system).PostJson(task.GetProperty("reportAt").GetString()!, new { outcome = "done" });
            outcome.EnsureSuccessStatusCode();
        }

        // Assert 3: partially completed, naming what is kept, under which law, until when; the requester is told.
        var done = await Request(id);
        Assert.Equal("partially_completed", done.GetProperty("status").GetString());
        Assert.Contains("Bokföringslagen (1999:1078) 7 kap. 2 §", done.GetProperty("resolution").GetString());
        Assert.Contains("2033-12-31", done.GetProperty("resolution").GetString());
        Assert.All(done.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("done", t.GetProperty("status").GetString()));
        Assert.Equal(["rights_request.received", "rights_request.completed"], await RequesterEvents(id));
        var website = tasks.Single(t => t.GetProperty("target").GetString() == "website");
        using var late = await factory.SystemClient("website").PostJson($"/requests/tasks/{website.GetProperty("id").GetInt64()}/outcome", new { outcome = "done" });
        await late.AssertProblem(HttpStatusCode.Conflict);
        Assert.True(await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.audit_entries WHERE entity_type = 'rights_request' AND entity_id = $1 AND details::text NOT LIKE '%' || $2 || '%'", id, customer) >= 5);
    }

    private async Task<JsonElement> Request(string id) => await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/requests/{id}");

    private static async Task<ReceivedWebhook> Received(WebhookReceiver receiver)
    {
        await NotifierFactory.Eventually(() => Task.FromResult(receiver.Accepted.Any()), "the partner's webhook arrives");
        return receiver.Accepted.First();
    }

    private async Task<List<string>> RequesterEvents(string id)
    {
        await using var connection = await factory.OpenDatabaseAsync();
        await using var read = new Npgsql.NpgsqlCommand(
            "SELECT event_type FROM privacy.outbox_messages WHERE recipient_key = 'email' AND event_type <> 'rights_request.task' AND payload->'data'->>'requestId' = $1 ORDER BY id", connection);
        read.Parameters.AddWithValue(id);
        var events = new List<string>();
        await using var reader = await read.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            events.Add(reader.GetString(0));
        }

        return events;
    }
}
