using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

public sealed class RecordOfProcessingTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task TheRecordNamesTheControllerAndEveryPurposeWithItsLegalBasis()
    {
        var record = await _ops.GetFromJsonAsync<JsonElement>("/registry/record-of-processing");

        var controller = record.GetProperty("controller");
        Assert.Equal("Smultronsites AB", controller.GetProperty("name").GetString());
        Assert.Contains("Årevägen 35E", controller.GetProperty("address").GetString());
        Assert.Equal("hello@smultronsites.com", controller.GetProperty("email").GetString());
        Assert.Equal(["customer", "visitor"], record.GetProperty("categoriesOfDataSubjects").EnumerateArray().Select(s => s.GetString()));
        Assert.NotEmpty(record.GetProperty("securityMeasures").EnumerateArray());

        var activities = record.GetProperty("processingActivities").EnumerateArray().ToDictionary(a => a.GetProperty("purpose").GetString()!);
        Assert.Equal("consent", activities["newsletter"].GetProperty("legalBasis").GetString());
        Assert.Equal("legal_obligation", activities["legal_compliance"].GetProperty("legalBasis").GetString());
        Assert.Equal("contract", activities["billing"].GetProperty("legalBasis").GetString());
        Assert.Contains("Bokföringslagen", activities["legal_compliance"].GetProperty("retention").GetString());
        Assert.All(activities.Values, a => Assert.False(string.IsNullOrEmpty(a.GetProperty("retention").GetString())));
        Assert.Equal("Nyhetsbrev", activities["newsletter"].GetProperty("nameSv").GetString()); // and in English, for a person
        Assert.Equal("Newsletter", activities["newsletter"].GetProperty("nameEn").GetString());
        Assert.Equal("Namn", activities["newsletter"].GetProperty("personalDataCategories").EnumerateArray()
            .Single(c => c.GetProperty("key").GetString() == "user.name").GetProperty("nameSv").GetString());
    }

    [Fact]
    public async Task TheRecordListsWhatEachRecipientReceivesAndForWhichPurpose()
    {
        var record = await _ops.GetFromJsonAsync<JsonElement>("/registry/record-of-processing");
        var activities = record.GetProperty("processingActivities").EnumerateArray().ToDictionary(a => a.GetProperty("purpose").GetString()!);

        var card = Assert.Single(activities["customer_obligations"].GetProperty("recipients").EnumerateArray());
        Assert.Equal("card-provider", card.GetProperty("key").GetString());
        Assert.Equal("processor", card.GetProperty("kind").GetString());
        Assert.Contains("user.financial.credit_card", card.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        var invoicing = Assert.Single(activities["billing"].GetProperty("recipients").EnumerateArray());
        Assert.Equal("invoicing-partner", invoicing.GetProperty("key").GetString());
        Assert.Empty(activities["newsletter"].GetProperty("recipients").EnumerateArray());
        Assert.All(activities.Values, a => Assert.Empty(a.GetProperty("thirdCountryTransfers").EnumerateArray()));
    }

    [Fact]
    public async Task ARecipientOutsideTheEeaAppearsAsAThirdCountryTransferWithItsSafeguard()
    {
        (await _ops.PostAsJsonAsync("/registry/recipients", new
        {
            key = "us-analytics", name = "US analytics", kind = "processor", country = "US", transferSafeguard = "EU-US Data Privacy Framework",
        })).EnsureSuccessStatusCode();
        (await _ops.PostAsJsonAsync("/registry/links", new { purpose = "anonymous_statistics", category = "user.behavior.browsing_history", recipient = "us-analytics" }))
            .EnsureSuccessStatusCode();

        var record = await _ops.GetFromJsonAsync<JsonElement>("/registry/record-of-processing");

        var statistics = record.GetProperty("processingActivities").EnumerateArray().Single(a => a.GetProperty("purpose").GetString() == "anonymous_statistics");
        var transfer = Assert.Single(statistics.GetProperty("thirdCountryTransfers").EnumerateArray());
        Assert.Equal("US", transfer.GetProperty("country").GetString());
        Assert.Equal("EU-US Data Privacy Framework", transfer.GetProperty("safeguard").GetString());
        Assert.Equal(["processor"], statistics.GetProperty("categoriesOfRecipients").EnumerateArray().Select(k => k.GetString()));
        var csv = await _ops.GetStringAsync("/registry/record-of-processing.csv");
        Assert.Contains("us-analytics (US): EU-US Data Privacy Framework", csv);
    }

    [Fact]
    public async Task TheCsvHasOneRowPerPurposeAndEscapesCells()
    {
        (await _ops.PostAsJsonAsync("/registry/purposes", new
        {
            key = "tricky", name = "=HYPERLINK(\"x\")", description = "a, \"quoted\" one", legalBasis = "legitimate_interests",
            dataSubjects = new[] { "customer" }, retention = "One year,\nthen erased",
        })).EnsureSuccessStatusCode();

        using var response = await _ops.GetAsync("/registry/record-of-processing.csv");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var rows = ParseCsv((await response.Content.ReadAsStringAsync()).TrimStart('\uFEFF'));
        Assert.Equal("controller", rows[0][0]);
        var purposes = (await _ops.GetFromJsonAsync<JsonElement>("/registry/purposes")).GetArrayLength();
        Assert.Equal(purposes + 1, rows.Count);
        Assert.All(rows, r => Assert.Equal(rows[0].Count, r.Count));
        var tricky = rows.Single(r => r[2] == "tricky");
        Assert.Equal("'=HYPERLINK(\"x\")", tricky[3]); // never a formula in a spreadsheet
        Assert.Equal("One year,\nthen erased", tricky[10]);
    }

    [Fact]
    public async Task OnlyOpsAndSystemsExportTheRecord()
    {
        foreach (var role in new[] { Roles.Frontend, Roles.Partner })
        {
            using var response = await factory.Client(role).GetAsync("/registry/record-of-processing");
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }

        using var system = await factory.Client(Roles.System).GetAsync("/registry/record-of-processing.csv");
        Assert.Equal(HttpStatusCode.OK, system.StatusCode);
    }

    /// <summary>RFC 4180 parsing, independent of the service's writer.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') { quoted = false; }
                else { cell.Append(c); }
            }
            else if (c == '"') { quoted = true; }
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = []; i++;
            }
            else { cell.Append(c); }
        }

        return rows;
    }
}
