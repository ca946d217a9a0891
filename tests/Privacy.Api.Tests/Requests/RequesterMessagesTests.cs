using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// The requester's side: every message the e-mail system is asked to send is on the request's log; a completed access request's
/// event links the report, which the e-mail system's key (and no other system's) may fetch, for that request only.
/// </summary>
public sealed class RequesterMessagesTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Fact]
    public async Task TheEmailSystemFetchesTheReportOfTheRequestItWasToldCompletedAndNoOther()
    {
        var customer = TestSubjects.NewCustomer();
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "access", subject = new { customerNumber = customer, email = "anna@example.com" } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).Text("id")!;
        using var other = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "access", subject = new { customerNumber = customer } });
        var otherId = (await other.ReadOk<JsonElement>(HttpStatusCode.Created)).Text("id")!;
        var email = factory.SystemClient("email");

        // Before it completes, the e-mail system has nothing to send: 404, as if it did not exist.
        using var early = await email.GetAsync($"/requests/{id}/report?format=html");
        await early.AssertProblem(HttpStatusCode.NotFound);

        await factory.AnswerEveryTask(id);

        // The completed event carries the link; the log shows received and completed, each with its outbox message.
        var completed = Assert.Single(await factory.Sent("email", "rights_request.completed", id));
        var link = completed.GetProperty("data").Text("report");
        Assert.Equal($"/requests/{id}/report?format=html", link);
        var messages = (await factory.RequestById(id)).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["received", "completed"], messages.Select(m => m.Text("kind")));
        var received = Assert.Single(await factory.Sent("email", "rights_request.received", id)).GetProperty("data");
        Assert.Equal((await factory.RequestById(id)).Text("dueDate"), received.Text("dueDate")); // the Swedish day the requester is told
        Assert.Equal(completed.GetProperty("messageId").GetGuid(), messages[1].GetProperty("outboxMessageId").GetGuid());

        // Act: the e-mail system fetches it. Assert: the report, and the read is audited.
        using var fetched = await email.GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.StartsWith("text/html", fetched.Content.Headers.ContentType!.ToString());
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.report_fetched' AND entity_id = $1", id));

        // Another system's key, or another request: 404.
        using var booking = await factory.SystemClient("booking").GetAsync(link);
        await booking.AssertProblem(HttpStatusCode.NotFound);
        using var notTold = await email.GetAsync($"/requests/{otherId}/report");
        await notTold.AssertProblem(HttpStatusCode.NotFound);
        using var export = await email.GetAsync($"/requests/{id}/export");
        await export.AssertProblem(HttpStatusCode.Conflict); // an access request has a report, not an export
    }

    [Fact]
    public async Task ARequestGivenOnlyAnEmailAddressReachesTheSystemsHoldingEmailAddressesAndOpsAttachTheCustomerLater()
    {
        var customer = TestSubjects.NewCustomer();
        var address = $"{Guid.NewGuid():N}@example.com";
        var id = (await factory.SubmitByOps(new { type = "erasure", channel = "email", subject = new { email = address } })).Text("id")!;

        // Before the address is verified, no system is told it.
        Assert.DoesNotContain(await Listed("booking"), t => t.Text("requestId") == id);
        await factory.Verify(id, "Replied from the address to our confirmation e-mail");

        // Systems holding e-mail addresses get it; accounting, which holds none, is not told the address.
        var bookingTask = Assert.Single(await Listed("booking"), t => t.Text("requestId") == id);
        Assert.Equal(address, bookingTask.Text("email"));
        Assert.Equal(JsonValueKind.Null, bookingTask.GetProperty("customerNumber").ValueKind);
        var accountingTask = Assert.Single(await Listed("accounting"), t => t.Text("requestId") == id);
        Assert.Equal(JsonValueKind.Null, accountingTask.GetProperty("email").ValueKind);

        // Act: ops match the address to a customer by hand and attach it.
        using var attached = await factory.Client(Roles.Ops).PostJson($"/requests/{id}/customers", new { customerNumber = customer, reason = "The booking system holds this address for the customer" });
        attached.EnsureSuccessStatusCode();

        // Assert: tasks naming the customer go out to every system, audited.
        var named = (await Listed("accounting")).Where(t => t.Text("requestId") == id && t.Text("customerNumber") == customer).ToList();
        Assert.Single(named);
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'rights_request.customer_added' AND entity_id = $1", id));
    }

    private async Task<List<JsonElement>> Listed(string system) =>
        [.. (await factory.SystemClient(system).GetFromJsonAsync<JsonElement>("/requests/tasks?limit=1000")).GetProperty("items").EnumerateArray()];
}
