using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>What the access-report tests do as the callers do: disclose, consent, report clocks, request access, answer tasks.</summary>
internal static class AccessReportData
{
    public static async Task Disclose(PrivacyApiFactory factory, string recipient, string customer, string purpose, string[] categories,
        DateTimeOffset at) =>
        (await factory.Client(Roles.System).PostJson("/disclosures", new
        {
            disclosures = new[] { new { recipient, customerNumber = customer, categories, purpose, legalGround = "contract", disclosedAt = at } },
        })).EnsureSuccessStatusCode();

    public static async Task<string> Submit(PrivacyApiFactory factory, string customer, string language) =>
        (await (await factory.WebsiteFor(customer).PostJson("/requests", new { type = "access", subject = new { customerNumber = customer }, language }))
            .ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    /// <summary>The system answers its task of the request with its own key, at the task's report link.</summary>
    public static async Task Answer(PrivacyApiFactory factory, string system, string requestId, object result)
    {
        var client = factory.SystemClient(system);
        var task = Assert.Single((await client.GetFromJsonAsync<JsonElement>($"/requests/tasks?system={system}&limit=500")).GetProperty("items").EnumerateArray(),
            t => t.GetProperty("requestId").GetString() == requestId);
        (await client.PostJson(task.GetProperty("reportAt").GetString()!, new { outcome = "done", result })).EnsureSuccessStatusCode();
    }

    /// <summary>
    /// A customer with something in every part of the report: disclosures to both partners, a newsletter consent, a transaction and
    /// a legal hold, and data returned by three of the four systems (e-mail has not answered). Returns the access request's id.
    /// </summary>
    public static async Task<(string Customer, string RequestId)> RichCustomerAsync(PrivacyApiFactory factory, string language)
    {
        var customer = TestSubjects.NewCustomer();
        var now = factory.Time.GetUtcNow();
        await Disclose(factory, "card-provider", customer, "customer_obligations", ["user.name", "user.contact.email", "user.financial.credit_card"], now.AddDays(-40));
        await Disclose(factory, "card-provider", customer, "customer_obligations", ["user.financial.credit_card"], now.AddDays(-3));
        await Disclose(factory, "invoicing-partner", customer, "billing", ["user.name", "user.contact.organization", "user.payment"], now.AddDays(-10));
        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        (await factory.ClientWithKey(PrivacyApiFactory.BookingSystemKey).PostJson("/retention/clock-events", new
        {
            events = new[]
            {
                new { customerNumber = customer, kind = "transaction", occurredAt = now.AddDays(-30) },
                new { customerNumber = customer, kind = "last_activity", occurredAt = now.AddDays(-2) },
            },
        })).EnsureSuccessStatusCode();
        (await factory.Client(Roles.Ops).PostJson("/retention/holds", new { customerNumber = customer, category = "user.payment", reason = "Disputed invoice" }))
            .EnsureSuccessStatusCode();

        var id = await Submit(factory, customer, language);
        await Answer(factory, "booking", id, new
        {
            name = "Astrid Lindqvist",
            phone_number = "070-123 45 67",
            bookings = new[]
            {
                new { reference = "BK-7", date = "2026-07-01", tour = "Åreskutan sunrise", participants = 2 },
                new { reference = "BK-9", date = "2026-08-14", tour = "Tännforsen", participants = 1 },
            },
        });
        await Answer(factory, "accounting", id, new
        {
            invoices = new[] { new { invoiceNumber = "F-2026-118", amount = "1 450 kr", paid = true } },
            organization = "556677-8899",
        });
        await Answer(factory, "website", id, new
        {
            account = new { createdAt = "2025-05-02", lastLogin = "2026-11-20" },
            profile = new { nickname = "Fjällräven", interests = new[] { "Skiing", "Hiking" } },
        });
        return (customer, id);
    }
}

/// <summary>
/// What must never reach a person's report (Art 12(1)): a registry key, an enum's name (as C# or as JSON writes it), an ISO 8601
/// period. Each hit is returned with the text around it.
/// </summary>
internal static partial class MachineText
{
    private static readonly Type[] Enums =
    [
        typeof(Privacy.Api.Registry.LegalBasis), typeof(Privacy.Api.Registry.DataSubjectType), typeof(Privacy.Api.Registry.RecipientKind),
        typeof(Privacy.Api.Retention.RetentionTrigger), typeof(Privacy.Api.Retention.RetentionAction), typeof(Privacy.Api.Retention.ClockEventKind),
        typeof(Privacy.Api.Retention.CategoryState), typeof(Privacy.Api.Retention.RuleState), typeof(Privacy.Api.Consent.ConsentStatus),
        typeof(Privacy.Api.Consent.ConsentEventKind), typeof(Privacy.Api.Consent.ConsentChannel), typeof(Privacy.Api.Requests.RequestTaskStatus),
        typeof(Privacy.Api.Requests.TaskAction), typeof(Privacy.Api.Requests.TaskTargetKind), typeof(Privacy.Api.Requests.RequestType),
        typeof(Privacy.Api.Requests.RequestStatus),
    ];

    /// <summary>
    /// Every enum value's name, and its snake_case form when it has several words (legitimate_interests): a one-word name in lower
    /// case is an ordinary word ("system" is Swedish too); written as C# writes it, it is still caught.
    /// </summary>
    public static IEnumerable<string> EnumNames() => Enums.SelectMany(Enum.GetNames)
        .SelectMany(n => new[] { n, JsonNamingPolicy.SnakeCaseLower.ConvertName(n) }).Where(n => n.Contains('_') || char.IsUpper(n[0])).Distinct();

    /// <summary>The keys of every registry entry: categories, purposes, recipients and internal systems, retired ones too.</summary>
    public static async Task<List<string>> RegistryKeysAsync(HttpClient ops)
    {
        var keys = new List<string>();
        foreach (var kind in new[] { "categories", "purposes", "recipients", "systems" })
        {
            keys.AddRange((await ops.GetFromJsonAsync<JsonElement>($"/registry/{kind}?includeRetired=true")).EnumerateArray()
                .Select(e => e.GetProperty("key").GetString()!));
        }

        return keys;
    }

    /// <summary>Each of <paramref name="tokens"/> that stands as a word of its own in <paramref name="html"/>, and every ISO period.</summary>
    public static List<string> Found(string html, IEnumerable<string> tokens)
    {
        var hits = new List<string>();
        foreach (var token in tokens.Distinct())
        {
            foreach (Match m in Regex.Matches(html, $@"(?<![\w.\-]){Regex.Escape(token)}(?![\w\-]|\.\w)"))
            {
                hits.Add($"{token}: …{Around(html, m.Index)}…");
            }
        }

        hits.AddRange(IsoPeriod().Matches(html).Select(m => $"ISO period {m.Value}: …{Around(html, m.Index)}…"));
        return hits;
    }

    private static string Around(string text, int at) => text.Substring(Math.Max(0, at - 40), Math.Min(100, text.Length - Math.Max(0, at - 40)));

    [GeneratedRegex(@"\bP(?:\d+[YMWD])+(?:T(?:\d+[HMS])+)?\b|\bPT(?:\d+[HMS])+\b")]
    private static partial Regex IsoPeriod();
}
