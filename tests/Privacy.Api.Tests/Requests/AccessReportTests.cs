using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

public sealed class AccessReportTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);
    private readonly HttpClient _frontend = factory.Client(Roles.Frontend);
    private readonly HttpClient _system = factory.Client(Roles.System);

    private async Task Disclose(string recipient, string customer, string purpose, string category, DateTimeOffset at) =>
        (await _system.PostJson("/disclosures", new
        {
            disclosures = new[] { new { recipient, customerNumber = customer, categories = new[] { category }, purpose, legalGround = "contract", disclosedAt = at } },
        })).EnsureSuccessStatusCode();

    private async Task<string> Submit(string type, string customer, string language = "sv") =>
        (await (await factory.WebsiteFor(customer).PostJson("/requests", new { type, subject = new { customerNumber = customer }, language }))
            .ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    /// <summary>The system answers its task of the request, as a system does: its own key, the task's report link.</summary>
    private async Task Answer(string system, string requestId, object result)
    {
        var client = factory.SystemClient(system);
        var task = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/requests/tasks?system={system}&limit=500")).GetProperty("items").EnumerateArray(),
            t => t.GetProperty("requestId").GetString() == requestId);
        (await client.PostJson(task.GetProperty("reportAt").GetString()!, new { outcome = "done", result })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task TheReportListsExactlyTheRecipientsInTheSubjectsDisclosureLogWithTheirDates()
    {
        var (customer, someoneElse) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var now = factory.Time.GetUtcNow();
        await Disclose("card-provider", customer, "customer_obligations", "user.name", now.AddDays(-30));
        await Disclose("card-provider", customer, "customer_obligations", "user.financial.credit_card", now.AddDays(-2));
        await Disclose("invoicing-partner", someoneElse, "billing", "user.name", now.AddDays(-1));
        await _frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));

        var id = await Submit("access", customer);
        var report = await factory.WebsiteFor(customer).GetFromJsonAsync<JsonElement>($"/requests/{id}/report");

        var recipient = Assert.Single(report.GetProperty("recipients").EnumerateArray());
        Assert.Equal("card-provider", recipient.GetProperty("key").GetString());
        Assert.Equal(["user.financial.credit_card", "user.name"], recipient.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(2, recipient.GetProperty("disclosures").GetInt32());
        Assert.Equal(now.AddDays(-30), recipient.GetProperty("firstDisclosedAt").GetDateTimeOffset());
        Assert.Equal(now.AddDays(-2), recipient.GetProperty("lastDisclosedAt").GetDateTimeOffset());
        Assert.Contains(report.GetProperty("purposes").EnumerateArray(), p => p.GetProperty("key").GetString() == "customer_obligations" && p.GetProperty("legalBasis").GetString() == "contract");
        Assert.Contains(report.GetProperty("categories").EnumerateArray(), c => c.GetProperty("key").GetString() == "user.financial.credit_card");
        Assert.Contains("newsletter", report.GetProperty("consentHistory").ToString());
        Assert.Equal("Integritetsskyddsmyndigheten (IMY)", report.GetProperty("complaints").GetProperty("name").GetString());
        Assert.Equal(11, report.GetProperty("rights").GetArrayLength());
        Assert.False(string.IsNullOrWhiteSpace(report.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task TheReportShowsTheSubjectsRetentionScheduleAndAnyLegalHold()
    {
        var customer = TestSubjects.NewCustomer();
        var ended = factory.Time.GetUtcNow();
        (await factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey).PostJson("/retention/clock-events",
            new { events = new[] { new { customerNumber = customer, kind = "relationship_ended", occurredAt = ended } } })).EnsureSuccessStatusCode();
        (await _ops.PostJson("/retention/holds", new { customerNumber = customer, category = "user.payment", reason = "Disputed invoice" }))
            .EnsureSuccessStatusCode();

        var id = await Submit("access", customer, "en");
        await Answer("website", id, new { profile = new { nickname = "Fjällräven" } }); // the profile concerns the customer
        var report = await factory.WebsiteFor(customer).GetFromJsonAsync<JsonElement>($"/requests/{id}/report");

        var schedule = Assert.Single(report.GetProperty("retentionSchedules").EnumerateArray());
        Assert.Equal(customer, schedule.GetProperty("customerNumber").GetString());
        var categories = schedule.GetProperty("categories").EnumerateArray().ToDictionary(c => c.GetProperty("category").GetString()!);
        Assert.Equal(ended.AddDays(30), categories["user.demographic.profile"].GetProperty("endsAt").GetDateTimeOffset());
        Assert.Contains("website_services", categories["user.demographic.profile"].GetProperty("why").GetString());
        Assert.Equal("kept", categories["user.content.private"].GetProperty("state").GetString()); // until support cases are closed
        Assert.Equal("Disputed invoice", Assert.Single(schedule.GetProperty("holds").EnumerateArray()).GetProperty("reason").GetString());

        var html = await factory.WebsiteFor(customer).GetStringAsync($"/requests/{id}/report?format=html");
        Assert.Contains("How long the data is kept", html);
        Assert.Contains(ended.AddDays(30).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), html);
    }

    [Fact]
    public async Task TheReportReadsInSwedishOrEnglishAndIsOnlyGivenOnceTheIdentityIsConfirmed()
    {
        var customer = TestSubjects.NewCustomer();
        await Disclose("invoicing-partner", customer, "billing", "user.name", factory.Time.GetUtcNow().AddDays(-3));
        var swedish = await Submit("access", customer, "sv");
        var english = await Submit("access", customer, "en");

        var website = factory.WebsiteFor(customer);
        using var sv = await website.GetAsync($"/requests/{swedish}/report?format=html");
        var svHtml = await sv.Content.ReadAsStringAsync();
        Assert.Equal("text/html", sv.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html lang=\"sv\">", svHtml);
        Assert.Contains("Registerutdrag", svHtml);
        Assert.Contains("Integritetsskyddsmyndigheten", svHtml);
        Assert.Contains("Vår samarbetspartner för fakturering", svHtml);
        var enHtml = await website.GetStringAsync($"/requests/{english}/report?format=html");
        Assert.Contains("Access report", enHtml);
        Assert.Contains("right to complain", enHtml);

        var byLetter = (await (await _ops.PostJson("/requests", new { type = "access", channel = "letter", subject = new { customerNumber = customer } }))
            .ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString();
        using var unverified = await _ops.GetAsync($"/requests/{byLetter}/report");
        await unverified.AssertProblem(HttpStatusCode.Conflict);
        using var badFormat = await _ops.GetAsync($"/requests/{swedish}/report?format=pdf");
        Assert.Equal(["format"], await badFormat.AssertValidationErrors());
        using var partner = await factory.Client(Roles.Partner).GetAsync($"/requests/{swedish}/report");
        await partner.AssertProblem(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task APortabilityExportHoldsWhatTheSubjectProvidedAndWhatTheSystemsReturned()
    {
        var customer = TestSubjects.NewCustomer();
        var id = await Submit("portability", customer);
        var request = await _ops.GetFromJsonAsync<JsonElement>($"/requests/{id}");
        Assert.All(request.GetProperty("tasks").EnumerateArray(), t => Assert.Equal("export", t.GetProperty("action").GetString()));
        Assert.DoesNotContain(request.GetProperty("tasks").EnumerateArray(), t => t.GetProperty("targetKind").GetString() == "recipient");

        var bookingKey = factory.SystemClient("booking");
        var booking = Assert.Single((await bookingKey.GetFromJsonAsync<JsonElement>("/requests/tasks?system=booking")).GetProperty("items").EnumerateArray(),
            t => t.GetProperty("requestId").GetString() == id);
        (await bookingKey.PostJson(booking.GetProperty("reportAt").GetString()!, new
        {
            outcome = "done", result = new { bookings = new[] { new { reference = "BK-1", date = "2026-07-01" } } },
        })).EnsureSuccessStatusCode();

        var website = factory.WebsiteFor(customer);
        var export = await website.GetFromJsonAsync<JsonElement>($"/requests/{id}/export");
        var systems = export.GetProperty("systems").EnumerateArray().ToDictionary(s => s.GetProperty("system").GetString()!);
        Assert.Equal("BK-1", systems["booking"].GetProperty("data").GetProperty("bookings")[0].GetProperty("reference").GetString());
        Assert.Equal(JsonValueKind.Null, systems["website"].GetProperty("data").ValueKind);
        Assert.Equal([customer], export.GetProperty("customerNumbers").EnumerateArray().Select(c => c.GetString()));
        using var notAccess = await website.GetAsync($"/requests/{id}/report");
        await notAccess.AssertProblem(HttpStatusCode.Conflict);
    }
}
