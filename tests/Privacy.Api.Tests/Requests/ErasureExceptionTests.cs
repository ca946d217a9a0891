using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Retention;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// What an erasure keeps (Art 17(3)): accounting records under Bokföringslagen 7 kap. 2 § until 31 December of the year of the
/// last transaction + 7, from the retention clock (one rule with the retention schedule); data under a legal hold, restricted
/// until the hold is released, when the erasure completes.
/// </summary>
public sealed class ErasureExceptionTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Theory]
    [InlineData(2020, "2027-12-31")] // the period runs to the end of 2027: kept, restricted
    [InlineData(2018, null)] // it ended on 31 December 2025: nothing is kept under the law
    [InlineData(0, null)] // no transaction was ever reported: nothing to keep
    public async Task AnErasureKeepsAccountingRecordsUntilTheEndOfTheSeventhYearAfterTheLastTransaction(int year, string? keptUntil)
    {
        factory.Time.AdjustTime(new DateTimeOffset(2026, 11, 25, 9, 0, 0, TimeSpan.Zero)); // another test of the class may have moved it on
        var customer = TestSubjects.NewCustomer();
        if (year > 0)
        {
            await factory.ReportClock(customer, "transaction", new DateTimeOffset(year - 1, 3, 1, 12, 0, 0, TimeSpan.Zero));
            await factory.ReportClock(customer, "transaction", new DateTimeOffset(year, 6, 15, 12, 0, 0, TimeSpan.Zero)); // the last one decides
        }

        var id = (await factory.SubmitByOps(new { type = "erasure", channel = "letter", subject = new { customerNumber = customer } })).Text("id")!;
        var request = await factory.Verify(id);

        var accounting = request.Tasks().Where(t => t.Text("target") == "accounting").ToList();
        if (keptUntil is null)
        {
            Assert.All(accounting, t => Assert.Equal("erase", t.Text("action")));
            Assert.All(accounting, t => Assert.Equal(JsonValueKind.Null, t.GetProperty("keptUnder").ValueKind));
        }
        else
        {
            var kept = Assert.Single(accounting);
            Assert.Equal("restrict", kept.Text("action"));
            Assert.Equal("Bokföringslagen (1999:1078) 7 kap. 2 §", kept.Text("keptUnder"));
            Assert.Equal(keptUntil, kept.Text("keptUntil"));
            // The same rule as the customer's retention schedule: its accounting data ends the day after.
            var schedule = await _ops.GetFromJsonAsync<JsonElement>($"/retention/subjects/{customer}/schedule");
            var legal = schedule.GetProperty("categories").EnumerateArray()
                .SelectMany(c => c.GetProperty("rules").EnumerateArray()).First(r => r.Text("purpose") == "legal_compliance");
            Assert.Equal(new DateTimeOffset(2028, 1, 1, 0, 0, 0, TimeSpan.FromHours(1)), legal.GetProperty("endsAt").GetDateTimeOffset());
        }

        // Act 2: every task done. Assert: partially completed only when something is kept, and the requester is told why, with IMY.
        await factory.AnswerEveryTask(id);
        var done = await factory.RequestById(id);
        Assert.Equal(keptUntil is null ? "completed" : "partially_completed", done.Text("status"));
        var completed = Assert.Single(await factory.Sent("email", "rights_request.completed", id)).GetProperty("data");
        if (keptUntil is null)
        {
            Assert.Equal(JsonValueKind.Null, completed.GetProperty("notice").ValueKind);
        }
        else
        {
            var notice = completed.GetProperty("notice").Text("text")!;
            Assert.Contains("Bokföringslagen (1999:1078) 7 kap. 2 § till och med 2027-12-31", notice);
            Assert.Contains("Integritetsskyddsmyndigheten", notice);
        }
    }

    [Fact]
    public async Task AHeldCategoryIsRestrictedNotErasedAndTheErasureCompletesWhenTheHoldIsReleased()
    {
        var customer = TestSubjects.NewCustomer();
        await factory.Disclose(customer, "card-provider", "customer_obligations", "user.name", "user.financial.credit_card");
        using var placed = await _ops.PostJson("/retention/holds", new { customerNumber = customer, category = "user.name", reason = "Dispute over invoice 2026-118" });
        var hold = (await placed.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetInt64();

        // Act 1: the customer asks for erasure on the website.
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).Text("id")!;
        var tasks = (await factory.RequestById(id)).Tasks();

        // Assert 1: wherever the held category is, it is restricted under the hold; nothing else is held; the partner is told both.
        var held = tasks.Where(t => t.GetProperty("holdId").ValueKind == JsonValueKind.Number).ToList();
        Assert.NotEmpty(held);
        Assert.All(held, t => Assert.Equal(("restrict", hold, "user.name"), (t.Text("action"), t.GetProperty("holdId").GetInt64(),
            string.Join(",", t.GetProperty("categories").EnumerateArray().Select(c => c.GetString())))));
        Assert.Contains(held, t => t.Text("target") == "card-provider");
        Assert.DoesNotContain(tasks.Where(t => t.GetProperty("holdId").ValueKind == JsonValueKind.Null && t.Text("action") == "erase"),
            t => t.GetProperty("categories").EnumerateArray().Any(c => c.GetString() == "user.name"));
        var card = tasks.Where(t => t.Text("target") == "card-provider").Select(t => (t.Text("action"), string.Join(",", t.GetProperty("categories").EnumerateArray().Select(c => c.GetString()))));
        Assert.Equal([("erase", "user.financial.credit_card"), ("restrict", "user.name")], card.Order());

        await factory.AnswerEveryTask(id);
        var ended = await factory.RequestById(id);
        Assert.Equal("partially_completed", ended.Text("status"));
        Assert.Contains($"legal hold #{hold}", ended.Text("resolution"));

        // Act 2: the dispute is settled.
        using var released = await _ops.PostJson($"/retention/holds/{hold}/release", new { reason = "The dispute was settled" });
        Assert.Equal("The dispute was settled", (await released.ReadOk<JsonElement>()).Text("releaseReason"));
        // Ops' free text stays on the hold, under its retention; the permanent audit chain only says a reason was given.
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'retention.hold.released' AND entity_id = $1", hold.ToString()));
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE details::text LIKE '%dispute was settled%'"));

        // Assert 2: the request is in progress again, with erasure tasks for what the hold kept, to the systems and the partner.
        var resumed = await factory.RequestById(id);
        Assert.Equal("in_progress", resumed.Text("status"));
        var erasing = resumed.Tasks().Where(t => t.Text("status") == "pending").ToList();
        Assert.NotEmpty(erasing);
        Assert.All(erasing, t => Assert.Equal("erase", t.Text("action")));
        Assert.All(erasing, t => Assert.Contains("user.name", t.GetProperty("categories").EnumerateArray().Select(c => c.GetString())));
        Assert.Contains(erasing, t => t.Text("target") == "card-provider");

        await factory.AnswerEveryTask(id);
        var done = await factory.RequestById(id);
        Assert.Equal("completed", done.Text("status"));
        Assert.Equal(["received", "identity_verified", "in_progress", "partially_completed", "in_progress", "completed"],
            done.GetProperty("transitions").EnumerateArray().Select(t => t.Text("to")));
    }

    [Fact]
    public async Task AHoldThatEndsByItsDateLetsTheErasureItKeptGoOutAtTheNextSweep()
    {
        var customer = TestSubjects.NewCustomer();
        var ends = factory.Time.GetUtcNow().AddDays(10);
        using var placed = await _ops.PostJson("/retention/holds", new { customerNumber = customer, category = "user.name", reason = "Complaint period", endsAt = ends });
        var hold = (await placed.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetInt64();
        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } });
        var id = (await submitted.ReadOk<JsonElement>(HttpStatusCode.Created)).Text("id")!;
        var held = (await factory.RequestById(id)).Tasks().Where(t => t.GetProperty("holdId").ValueKind == JsonValueKind.Number).ToList();
        Assert.NotEmpty(held);
        Assert.All(held, t => Assert.Equal(RequestDeadlinesDay(ends), t.Text("keptUntil"))); // the hold's last day

        // Before the end: the sweep changes nothing. After it: the erasure of what the hold kept goes out.
        await factory.Sweep();
        Assert.DoesNotContain((await factory.RequestById(id)).Tasks(), t => t.Text("action") == "erase" && t.GetProperty("categories").EnumerateArray().Any(c => c.GetString() == "user.name"));
        factory.Time.SetUtcNow(ends.AddMinutes(1));
        await factory.Sweep();

        var resumed = (await factory.RequestById(id)).Tasks();
        Assert.Contains(resumed, t => t.Text("action") == "erase" && t.Text("status") == "pending"
            && t.GetProperty("categories").EnumerateArray().Any(c => c.GetString() == "user.name"));
        Assert.All(resumed.Where(t => t.GetProperty("holdId").ValueKind == JsonValueKind.Number && t.GetProperty("holdId").GetInt64() == hold),
            t => Assert.Equal(JsonValueKind.Null, t.GetProperty("keptUnder").ValueKind));
    }

    private static string RequestDeadlinesDay(DateTimeOffset endsAt) =>
        Privacy.Api.Requests.RequestDeadlines.DayEndedBy(endsAt).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task AHoldOnTheWholeSubjectKeepsTheServicesOwnConsentRecordsToo()
    {
        var customer = TestSubjects.NewCustomer();
        await _ops.PostJson("/consent/decisions", Consent.ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        using var placed = await _ops.PostJson("/retention/holds", new { customerNumber = customer, reason = "Police request pending" });
        placed.EnsureSuccessStatusCode();

        using var submitted = await factory.WebsiteFor(customer).PostJson("/requests", new { type = "erasure", subject = new { customerNumber = customer } });
        var request = await submitted.ReadOk<JsonElement>(HttpStatusCode.Created);

        Assert.All(request.Tasks(), t => Assert.Equal("restrict", t.Text("action")));
        var own = Assert.Single(request.Tasks(), t => t.Text("target") == "privacy-service");
        Assert.Equal("done", own.Text("status"));
        // Kept: the consent history is still there while the hold lasts.
        var history = await _ops.GetFromJsonAsync<JsonElement>($"/consent/subjects/customer/{customer}/history");
        Assert.NotEmpty(history.GetProperty("events").EnumerateArray());
    }
}
