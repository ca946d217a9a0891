using System.Text.Json;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;
using Privacy.Api.Registry;
using Privacy.Api.Retention;

namespace Privacy.Api.Requests;

/// <summary>
/// The Art 15 report: what the company processes about the subject, why, on which legal basis, for how long, given to
/// whom and when (from the disclosure log), from where, the consent history, the subject's rights and the right to
/// complain to IMY. Built from what the service knows when asked.
/// </summary>
public sealed record AccessReport(
    Guid RequestId, DateTimeOffset GeneratedAt, string Language, ControllerInfo Controller, IReadOnlyList<string> CustomerNumbers,
    IReadOnlyList<ReportPurpose> Purposes, IReadOnlyList<ReportCategory> Categories, IReadOnlyList<SubjectSchedule> RetentionSchedules,
    IReadOnlyList<ReportRecipient> Recipients, string Source,
    IReadOnlyList<ConsentEventResponse> ConsentHistory, IReadOnlyList<ReportSystemData> SystemData, IReadOnlyList<ReportRight> Rights,
    SupervisoryAuthority Complaints);

public sealed record ReportPurpose(string Key, string Name, LegalBasis LegalBasis, IReadOnlyList<string> Categories, string? Retention);

public sealed record ReportCategory(string Key, string Name, IReadOnlyList<string> Purposes, IReadOnlyList<string> Retention);

/// <summary>A recipient the subject's data was actually disclosed to, from the disclosure log.</summary>
public sealed record ReportRecipient(
    string Key, string Name, IReadOnlyList<string> Categories, IReadOnlyList<string> Purposes, DateTimeOffset FirstDisclosedAt,
    DateTimeOffset LastDisclosedAt, int Disclosures);

/// <summary>What an internal system returned for the request (access and portability tasks).</summary>
public sealed record ReportSystemData(string System, RequestTaskStatus Status, JsonElement? Data);

public sealed record ReportRight(string Right, string Article, string Description);

public sealed record SupervisoryAuthority(string Name, string Website, string Address);

/// <summary>Builds the access report and the portability export of a request.</summary>
public sealed class AccessReports(
    RegistryCatalog registry, DisclosureLog disclosures, ConsentHistory consent, RetentionSchedules retention, IOptions<ControllerOptions> controller,
    TimeProvider time)
{
    public static readonly SupervisoryAuthority Imy = new("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se", "Box 8114, 104 20 Stockholm");

    public async Task<AccessReport> BuildAsync(RightsRequest request, IReadOnlyList<string> customers, CancellationToken cancellationToken)
    {
        var sv = request.Language == "sv";
        var purposes = (await registry.PurposesAsync(cancellationToken)).Where(p => p.DataSubjects.Contains(DataSubjectType.Customer)).ToList();
        var categoryNames = (await registry.CategoriesAsync(cancellationToken)).ToDictionary(c => c.Key, c => c.Name);
        var recipientNames = await registry.RecipientNamesAsync(cancellationToken);
        var categories = purposes.SelectMany(p => p.Categories).Distinct().Order(StringComparer.Ordinal)
            .Select(c => new ReportCategory(c, categoryNames.GetValueOrDefault(c, c),
                [.. purposes.Where(p => p.Categories.Contains(c)).Select(p => p.Key)],
                [.. purposes.Where(p => p.Categories.Contains(c) && p.Retention is not null).Select(p => $"{p.Name}: {p.Retention}").Distinct()]))
            .ToList();
        var held = new List<DisclosedTo>();
        var history = new List<ConsentEventResponse>();
        var schedules = new List<SubjectSchedule>();
        var retentionContext = await retention.ContextAsync(cancellationToken);
        foreach (var customer in customers)
        {
            held.AddRange(await disclosures.RecipientsOfAsync(customer, null, cancellationToken));
            history.AddRange((await consent.ReadAsync(SubjectType.Customer, customer, cancellationToken)).Events);
            schedules.Add(await retention.EvaluateAsync(retentionContext, customer, time.GetUtcNow(), cancellationToken));
        }

        var recipients = held.GroupBy(h => h.Recipient).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReportRecipient(g.Key, recipientNames.GetValueOrDefault(g.Key, g.Key),
                [.. g.SelectMany(h => h.Categories).Distinct().Order(StringComparer.Ordinal)],
                [.. g.SelectMany(h => h.Purposes).Distinct().Order(StringComparer.Ordinal)],
                g.Min(h => h.FirstDisclosedAt), g.Max(h => h.LastDisclosedAt), g.Sum(h => h.Disclosures)))
            .ToList();
        var c = controller.Value;
        return new AccessReport(request.Id, time.GetUtcNow(), request.Language, new ControllerInfo(c.Name, c.Address, c.Email), customers,
            [.. purposes.Select(p => new ReportPurpose(p.Key, p.Name, p.LegalBasis, p.Categories, p.Retention))], categories, schedules, recipients,
            sv ? "Uppgifterna har du själv lämnat, eller så har de uppkommit när du använt webbplatsen och företagets tjänster."
               : "You provided the data yourself, or it arose when you used the website and the company's services.",
            [.. history.OrderBy(e => e.OccurredAt)], SystemData(request), Rights(sv), Imy);
    }

    /// <summary>Art 20: what the subject provided (consent decisions, proposed corrections) and what the systems returned, as JSON.</summary>
    public async Task<object> ExportAsync(RightsRequest request, IReadOnlyList<string> customers, CancellationToken cancellationToken)
    {
        var history = new List<ConsentEventResponse>();
        foreach (var customer in customers)
        {
            history.AddRange((await consent.ReadAsync(SubjectType.Customer, customer, cancellationToken)).Events);
        }

        return new
        {
            requestId = request.Id,
            generatedAt = time.GetUtcNow(),
            customerNumbers = customers,
            email = request.Email,
            consentDecisions = history.OrderBy(e => e.OccurredAt).Select(e => new { e.ReceiptId, e.Kind, e.OccurredAt, e.PolicyVersion, e.Choices }),
            systems = SystemData(request),
        };
    }

    private static List<ReportSystemData> SystemData(RightsRequest request) =>
        [.. request.Tasks.Where(t => t.TargetKind == TaskTargetKind.System && t.Action == TaskAction.Export).OrderBy(t => t.Target)
            .Select(t => new ReportSystemData(t.Target, t.Status, t.Result is null ? null : JsonDocument.Parse(t.Result).RootElement))];

    private static List<ReportRight> Rights(bool sv) => sv
        ?
        [
            new("Tillgång", "Art. 15", "Att få veta vilka uppgifter om dig som behandlas och få en kopia av dem."),
            new("Rättelse och komplettering", "Art. 16", "Att felaktiga uppgifter rättas och ofullständiga kompletteras."),
            new("Radering", "Art. 17", "Att uppgifterna raderas när de inte längre behövs, om inte lag kräver att de sparas."),
            new("Avidentifiering", "Integritetspolicyn", "Att uppgifterna avidentifieras så att de inte längre kan kopplas till dig."),
            new("Begränsning", "Art. 18", "Att behandlingen begränsas medan en invändning eller ett fel utreds."),
            new("Dataportabilitet", "Art. 20", "Att få uppgifter du lämnat i ett maskinläsbart format."),
            new("Invändning", "Art. 21", "Att invända mot behandling som grundar sig på berättigat intresse."),
            new("Återkalla samtycke", "Art. 7.3", "Att när som helst återkalla ett samtycke, utan att det påverkar tidigare behandling."),
        ]
        :
        [
            new("Access", "Art 15", "To know which data about you is processed and to receive a copy of it."),
            new("Rectification and completion", "Art 16", "To have inaccurate data corrected and incomplete data completed."),
            new("Erasure", "Art 17", "To have the data erased when it is no longer needed, unless the law requires it to be kept."),
            new("Anonymisation", "Privacy policy", "To have the data anonymised so that it can no longer be linked to you."),
            new("Restriction", "Art 18", "To have processing restricted while an objection or an error is looked into."),
            new("Data portability", "Art 20", "To receive the data you provided in a machine-readable format."),
            new("Objection", "Art 21", "To object to processing based on legitimate interests."),
            new("Withdraw consent", "Art 7(3)", "To withdraw a consent at any time, without affecting earlier processing."),
        ];
}
