using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Retention;

namespace Privacy.Api.Tests.Requests;

/// <summary>Every request type from receipt by letter to its end: identity confirmed, tasks out, every task answered.</summary>
public sealed class RequestLifecycleTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Theory]
    [InlineData("access", "export", false, "completed")]
    [InlineData("portability", "export", false, "completed")]
    [InlineData("rectification", "rectify", true, "completed")]
    [InlineData("completion", "rectify", true, "completed")]
    [InlineData("restriction", "restrict", true, "completed")]
    [InlineData("objection", "stop_processing", false, "completed")]
    [InlineData("erasure", "erase", true, "partially_completed")]
    [InlineData("anonymisation", "anonymise", true, "partially_completed")]
    public async Task EachTypeRunsFromReceiptToItsEnd(string type, string systemAction, bool toRecipients, string end)
    {
        var customer = TestSubjects.NewCustomer();
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name", "user.contact.email" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        if (type is "erasure" or "anonymisation")
        {
            await factory.ReportClock(customer, "transaction", factory.Time.GetUtcNow()); // accounting records the law keeps (Bokföringslagen)
        }

        var rectifying = type is "rectification" or "completion";
        using var submitted = await _ops.PostJson("/requests", new
        {
            type, channel = "letter", subject = new { customerNumber = customer },
            changes = rectifying ? new Dictionary<string, string> { ["user.contact.email"] = "new.address@example.com" } : null,
            purpose = type == "objection" ? "anonymous_statistics" : null,
        });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString();

        // Act 1: nothing goes out before the identity is confirmed.
        Assert.Empty((await Request(id)).GetProperty("tasks").EnumerateArray());
        using var verified = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter matched the customer record" });
        var request = await verified.ReadOk<JsonElement>();

        // Assert 1: a task per system holding the data with the type's action; recipients only where Art 19 applies.
        var tasks = request.GetProperty("tasks").EnumerateArray().ToList();
        var systems = tasks.Where(t => t.GetProperty("targetKind").GetString() == "system" && t.GetProperty("target").GetString() != "privacy-service").ToList();
        Assert.NotEmpty(systems);
        Assert.All(systems.Where(t => t.GetProperty("keptUnder").ValueKind == JsonValueKind.Null),
            t => Assert.Equal(systemAction, t.GetProperty("action").GetString()));
        var recipients = tasks.Where(t => t.GetProperty("targetKind").GetString() == "recipient").ToList();
        Assert.Equal(toRecipients ? ["card-provider"] : [], recipients.Select(t => t.GetProperty("target").GetString()));
        if (rectifying)
        {
            Assert.All(systems, t => Assert.Equal(["user.contact.email"], t.GetProperty("categories").EnumerateArray().Select(c => c.GetString())));
            var followUps = await _ops.GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}");
            Assert.Equal("rectify", Assert.Single(followUps.GetProperty("items").EnumerateArray()).GetProperty("action").GetString());
        }

        // Act 2: every system reports done with its own key, every recipient acknowledges.
        foreach (var task in systems)
        {
            (await factory.SystemClient(task.GetProperty("target").GetString()!).PostJson($"/requests/tasks/{task.GetProperty("id").GetInt64()}/outcome", new { outcome = "done" }))
                .EnsureSuccessStatusCode();
        }

        foreach (var task in recipients)
        {
            (await factory.Client(Roles.Partner).PostJson($"/partner/follow-ups/{task.GetProperty("followUpId").GetInt64()}/acknowledgement", new { outcome = "done" }))
                .EnsureSuccessStatusCode();
        }

        // Assert 2: the end, with the whole history.
        var done = await Request(id);
        Assert.Equal(end, done.GetProperty("status").GetString());
        Assert.Equal(["received", "identity_verified", "in_progress", end],
            done.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("to").GetString()));
        // Ops moved it along; whoever answered last (a partner after the systems, here) ended it.
        Assert.Equal(["test-ops", "test-ops", "test-ops", recipients.Count > 0 ? "test-partner" : $"test-system-{systems[^1].GetProperty("target").GetString()}"],
            done.GetProperty("transitions").EnumerateArray().Select(t => t.GetProperty("actor").GetString()));
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("closedAt").ValueKind);
    }

    [Fact]
    public async Task AFailedTaskKeepsTheRequestOpenUntilOpsCloseItWithAReason()
    {
        using var submitted = await _ops.PostJson("/requests", new { type = "restriction", channel = "email", subject = new { customerNumber = TestSubjects.NewCustomer() } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString();
        using var notYet = await _ops.PostJson($"/requests/{id}/closure", new { reason = "too early" });
        await notYet.AssertProblem(HttpStatusCode.Conflict);
        var tasks = (await (await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Reply from the registered address" }))
            .ReadOk<JsonElement>()).GetProperty("tasks").EnumerateArray().ToList();
        HttpClient System(JsonElement task) => factory.SystemClient(task.GetProperty("target").GetString()!);

        using var noReason = await System(tasks[0]).PostJson($"/requests/tasks/{tasks[0].GetProperty("id").GetInt64()}/outcome", new { outcome = "failed" });
        Assert.Equal(["note"], await noReason.AssertValidationErrors());
        (await System(tasks[0]).PostJson($"/requests/tasks/{tasks[0].GetProperty("id").GetInt64()}/outcome", new { outcome = "failed", note = "Archive offline" }))
            .EnsureSuccessStatusCode();
        foreach (var task in tasks.Skip(1))
        {
            (await System(task).PostJson($"/requests/tasks/{task.GetProperty("id").GetInt64()}/outcome", new { outcome = "done" })).EnsureSuccessStatusCode();
        }

        Assert.Equal("in_progress", (await Request(id)).GetProperty("status").GetString());
        using var closed = await _ops.PostJson($"/requests/{id}/closure", new { reason = "The archive was destroyed; nothing is left to restrict" });
        var body = await closed.ReadOk<JsonElement>();
        Assert.Equal("partially_completed", body.GetProperty("status").GetString());
        Assert.StartsWith("Closed by ops: The archive was destroyed", body.GetProperty("resolution").GetString());
    }

    [Fact]
    public async Task ASystemKeyBoundToOneSystemSeesAndAnswersOnlyThatSystemsTasks()
    {
        var customer = TestSubjects.NewCustomer();
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } });
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);
        var id = request.GetProperty("id").GetString();
        var tasks = request.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("target").GetString()!, t => t.GetProperty("id").GetInt64());
        var booking = factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey);

        var own = await booking.GetFromJsonAsync<JsonElement>("/requests/tasks");
        Assert.Contains(own.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetInt64() == tasks["booking"]);
        Assert.DoesNotContain(own.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetInt64() == tasks["website"]);
        using var other = await booking.GetAsync("/requests/tasks?system=website");
        await other.AssertProblem(HttpStatusCode.Forbidden);
        using var foreign = await booking.PostJson($"/requests/tasks/{tasks["website"]}/outcome", new { outcome = "done" });
        await foreign.AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal("pending", (await Request(id)).GetProperty("tasks").EnumerateArray()
            .Single(t => t.GetProperty("target").GetString() == "website").GetProperty("status").GetString());
        using var mine = await booking.PostJson($"/requests/tasks/{tasks["booking"]}/outcome", new { outcome = "done" });
        Assert.Equal("done", (await mine.ReadOk<JsonElement>()).GetProperty("status").GetString());
    }

    private async Task<JsonElement> Request(string? id) => await _ops.GetFromJsonAsync<JsonElement>($"/requests/{id}");
}
