using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// A system key bound to one internal system (every system key outside Development) reaches only that system's work, through
/// whichever parameter it names another's: the <c>system</c> query of the task list, another system's task id, the
/// <c>system</c> of a clock-event batch (OWASP API1).
/// </summary>
public sealed class SystemTaskScopeTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _booking = factory.SystemClient("booking");

    /// <summary>An erasure by letter, verified: a task for every internal system, the service's own, and the card provider's.</summary>
    private async Task<(string Customer, string Id, Dictionary<string, long> Tasks)> ErasureAsync()
    {
        var customer = TestSubjects.NewCustomer();
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[]
            {
                new { recipient = "card-provider", customerNumber = customer, categories = new[] { "user.name" },
                      purpose = "customer_obligations", legalGround = "contract", disclosedAt = factory.Time.GetUtcNow() },
            },
        })).EnsureSuccessStatusCode();
        using var submitted = await _ops.PostJson("/requests", new { type = "erasure", channel = "letter", subject = new { customerNumber = customer } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;
        using var verified = await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Signed letter matched the customer record" });
        var tasks = (await verified.ReadOk<JsonElement>()).GetProperty("tasks").EnumerateArray()
            .ToDictionary(t => t.GetProperty("target").GetString()!, t => t.GetProperty("id").GetInt64());
        Assert.Superset(new HashSet<string> { "website", "booking", "email", "accounting", "privacy-service", "card-provider" }, tasks.Keys.ToHashSet());
        return (customer, id, tasks);
    }

    [Fact]
    public async Task ABoundKeyListsItsOwnTasksOnlyWhateverItNamesInTheSystemQuery()
    {
        var (customer, _, tasks) = await ErasureAsync();
        var foreign = tasks.Where(t => t.Key != "booking").Select(t => t.Value).ToHashSet();

        // Its own, without naming it and by name.
        foreach (var path in new[] { "/requests/tasks", "/requests/tasks?system=booking", "/requests/tasks?after=0&limit=1000" })
        {
            var own = await _booking.GetFromJsonAsync<JsonElement>(path);
            var ids = own.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetInt64()).ToList();
            Assert.Contains(tasks["booking"], ids);
            Assert.DoesNotContain(ids, foreign.Contains);
        }

        // Another system, however it is spelt: refused, and nothing of that system's tasks or their subject in the answer.
        foreach (var other in new[] { "website", "email", "accounting", "privacy-service", "card-provider", "BOOKING", "booking%20", "", "no-such-system" })
        {
            using var response = await _booking.GetAsync($"/requests/tasks?system={other}");
            var problem = await response.AssertProblem(HttpStatusCode.Forbidden);
            Assert.Contains("booking", problem.GetProperty("detail").GetString());
            Assert.DoesNotContain(customer, problem.ToString());
        }

        // Named twice, its own and another's: still refused.
        using var twice = await _booking.GetAsync("/requests/tasks?system=booking&system=website");
        Assert.True((int)twice.StatusCode is >= 400 and < 500, $"{(int)twice.StatusCode}");
        Assert.DoesNotContain(customer, await twice.Content.ReadAsStringAsync());

        // Ops read any system's list; the other systems' own keys find their tasks there.
        var website = await _ops.GetFromJsonAsync<JsonElement>("/requests/tasks?system=website&limit=1000");
        Assert.Contains(website.GetProperty("items").EnumerateArray(), t => t.GetProperty("id").GetInt64() == tasks["website"]);
    }

    [Fact]
    public async Task ABoundKeyCannotAnswerAnotherSystemsTaskAndLearnsNothingAboutIt()
    {
        var (customer, id, tasks) = await ErasureAsync();
        using var missing = await _booking.PostJson($"/requests/tasks/{long.MaxValue}/outcome", new { outcome = "done" });
        var none = await missing.AssertProblem(HttpStatusCode.NotFound);

        foreach (var target in new[] { "website", "email", "accounting", "privacy-service", "card-provider" })
        {
            using var response = await _booking.PostJson($"/requests/tasks/{tasks[target]}/outcome", new { outcome = "done" });
            var problem = await response.AssertProblem(HttpStatusCode.NotFound); // never 409, even for the service's own task, already done
            Assert.Equal(none.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
            Assert.DoesNotContain(customer, problem.ToString());
            Assert.DoesNotContain(id, problem.ToString());
        }

        var request = await _ops.GetFromJsonAsync<JsonElement>($"/requests/{id}");
        var status = request.GetProperty("tasks").EnumerateArray().ToDictionary(t => t.GetProperty("target").GetString()!, t => t.GetProperty("status").GetString());
        Assert.All(new[] { "website", "email", "accounting", "card-provider" }, target => Assert.Equal("pending", status[target]));

        // Its own task it answers.
        using var mine = await _booking.PostJson($"/requests/tasks/{tasks["booking"]}/outcome", new { outcome = "done" });
        Assert.Equal("done", (await mine.ReadOk<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ABoundKeyReportsClockEventsForItsOwnSystemOnly()
    {
        var customer = TestSubjects.NewCustomer();
        object Batch(string? system) => new
        {
            system, events = new[] { new { customerNumber = customer, kind = "relationship_ended", occurredAt = factory.Time.GetUtcNow() } },
        };

        foreach (var other in new[] { "website", "accounting", "BOOKING" })
        {
            using var response = await _booking.PostJson("/retention/clock-events", Batch(other));
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }

        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_clocks WHERE customer_number = $1", customer));
        using (var own = await _booking.PostJson("/retention/clock-events", Batch(null)))
        {
            own.EnsureSuccessStatusCode();
        }

        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.retention_clocks WHERE customer_number = $1", customer));
    }
}
