using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;
using Privacy.Api.Registry;
using Privacy.Api.Retention;

namespace Privacy.Api.Requests;

/// <summary>
/// The Art 15 report: what the company processes about the subject, why, on which legal basis, for how long, given to
/// whom and when (from the disclosure log), from where, the consent history, the copy of the data the systems returned
/// (Art 15(3)), that no automated decision is made (Art 15(1)(h)), the subject's rights and the right to complain to IMY.
/// Only what concerns the subject; every text in the request's language (Art 12(1)), with the registry's keys alongside.
/// </summary>
public sealed record AccessReport(
    Guid RequestId, DateTimeOffset GeneratedAt, string Language, ControllerInfo Controller, IReadOnlyList<string> CustomerNumbers,
    IReadOnlyList<ReportPurpose> Purposes, IReadOnlyList<ReportCategory> Categories, IReadOnlyList<SubjectSchedule> RetentionSchedules,
    IReadOnlyList<ReportRecipient> Recipients, string Source,
    IReadOnlyList<ConsentEventResponse> ConsentHistory, IReadOnlyList<ReportSystemData> SystemData, IReadOnlyList<ReportRight> Rights,
    SupervisoryAuthority Complaints, string AutomatedDecisionMaking, string Transfers, string OwnProcessing,
    IReadOnlyList<ReportConsentEvent> Consents);

/// <summary>A purpose the subject's data is processed for.</summary>
/// <param name="Name">The registry's name (as before); <paramref name="Label"/> is the name in the report's language.</param>
/// <param name="Categories">The categories of the subject's data processed for it (keys); <paramref name="CategoryLabels"/> their names.</param>
public sealed record ReportPurpose(
    string Key, string Name, LegalBasis LegalBasis, IReadOnlyList<string> Categories, string? Retention, string Label, string? Description,
    string LegalBasisLabel, string LegalBasisDescription, IReadOnlyList<string> CategoryLabels);

/// <summary>A category of the subject's data.</summary>
/// <param name="Retention">The registry's retention notes (as before); <paramref name="RetentionText"/> is how long for each purpose,
/// in plain words, and <paramref name="RetentionStatus"/> where the subject's data of the category stands (kept until when).</param>
public sealed record ReportCategory(
    string Key, string Name, IReadOnlyList<string> Purposes, IReadOnlyList<string> Retention, string Label, string? Description,
    IReadOnlyList<string> PurposeLabels, IReadOnlyList<string> RetentionText, string RetentionStatus);

/// <summary>A recipient the subject's data was actually disclosed to, from the disclosure log.</summary>
public sealed record ReportRecipient(
    string Key, string Name, IReadOnlyList<string> Categories, IReadOnlyList<string> Purposes, DateTimeOffset FirstDisclosedAt,
    DateTimeOffset LastDisclosedAt, int Disclosures, string Label, string? Description, string KindLabel, string Country, string CountryName,
    bool OutsideEea, string? TransferSafeguard, IReadOnlyList<string> CategoryLabels, IReadOnlyList<string> PurposeLabels);

/// <summary>What an internal system returned for the request (access and portability tasks), and the same as labelled fields.</summary>
public sealed record ReportSystemData(
    string System, RequestTaskStatus Status, JsonElement? Data, string Label, string StatusText, IReadOnlyList<ReportField> Fields);

/// <summary>One consent decision or withdrawal in plain words.</summary>
public sealed record ReportConsentEvent(DateTimeOffset OccurredAt, string What, IReadOnlyList<string> Choices);

public sealed record ReportRight(string Right, string Article, string Description);

public sealed record SupervisoryAuthority(string Name, string Website, string Address);

/// <summary>Builds the access report and the portability export of a request.</summary>
public sealed class AccessReports(
    RegistryCatalog registry, DisclosureLog disclosures, ConsentHistory consent, RetentionSchedules retention, IOptions<ControllerOptions> controller,
    TimeProvider time)
{
    public static readonly SupervisoryAuthority Imy = new("Integritetsskyddsmyndigheten (IMY)", "https://www.imy.se", "Box 8114, 104 20 Stockholm");

    private const string ConsentCategory = "user.privacy_preferences";

    public async Task<AccessReport> BuildAsync(RightsRequest request, IReadOnlyList<string> customers, CancellationToken cancellationToken)
    {
        var language = request.Language == "sv" ? "sv" : "en";
        var sv = language == "sv";
        var texts = await registry.TextsAsync(cancellationToken);
        var holdings = (await registry.SystemsAsync(cancellationToken)).ToDictionary(s => s.System, s => s.Categories);
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

        string PurposeLabel(string key) => texts.Purposes.TryGetValue(key, out var p) ? p.NameIn(language) : key;
        string CategoryLabel(string key) => texts.Categories.TryGetValue(key, out var c) ? c.NameIn(language) : key;

        // Art 15(3): the copy, as each system returned it and as labelled fields.
        var copy = new AccessReportCopy(texts.Categories, language);
        var systemData = SystemTasks(request).Select(t =>
        {
            var data = Data(t);
            var label = texts.Systems.TryGetValue(t.Target, out var s) ? s.NameIn(language) : t.Target;
            return new ReportSystemData(t.Target, t.Status, data, label, SystemStatus(t.Status, AccessReportCopy.HasData(data), sv), copy.Fields(data));
        }).ToList();

        // What concerns this person (Art 15(1)(a)–(b)): the categories a system returned data of (what it holds, and any category its
        // keys name), disclosed, or the consent records; a consent purpose only once consent was given or data disclosed under it.
        var evidence = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in systemData.Where(s => AccessReportCopy.HasData(s.Data)))
        {
            evidence.UnionWith(holdings.GetValueOrDefault(s.System, []));
            evidence.UnionWith(copy.CategoriesIn(s.Data));
        }

        evidence.UnionWith(held.SelectMany(h => h.Categories));
        if (history.Count > 0)
        {
            evidence.Add(ConsentCategory);
        }

        var disclosedFor = held.SelectMany(h => h.Purposes).ToHashSet(StringComparer.Ordinal);
        var granted = history.SelectMany(e => e.Choices).Where(c => c.Recorded == ConsentStatus.Granted).Select(c => c.Purpose)
            .ToHashSet(StringComparer.Ordinal);
        var concerning = new List<(PurposeFacts Purpose, List<string> Categories)>();
        foreach (var p in retentionContext.Purposes.Where(p => !OwnDataStores.Purposes.Contains(p.Key)))
        {
            if (!p.DataSubjects.Contains(DataSubjectType.Customer) && !granted.Contains(p.Key) && !disclosedFor.Contains(p.Key))
            {
                continue; // a purpose for visitors only: the subject's data as a customer is not processed for it
            }

            var its = p.LegalBasis == LegalBasis.Consent && granted.Contains(p.Key)
                ? [.. p.Categories]
                : p.Categories.Where(evidence.Contains).ToList();
            var applies = p.LegalBasis == LegalBasis.Consent
                ? granted.Contains(p.Key) || disclosedFor.Contains(p.Key)
                : its.Count > 0 || disclosedFor.Contains(p.Key);
            if (applies)
            {
                concerning.Add((p, its));
            }
        }

        concerning = [.. concerning.OrderBy(c => PurposeLabel(c.Purpose.Key), StringComparer.CurrentCulture)];
        var concerningKeys = concerning.Select(c => c.Purpose.Key).ToHashSet(StringComparer.Ordinal);
        var purposes = concerning.Select(c =>
        {
            var basis = RegistryTexts.Of(c.Purpose.LegalBasis, language);
            return new ReportPurpose(c.Purpose.Key, c.Purpose.Name, c.Purpose.LegalBasis, c.Categories, c.Purpose.Retention, PurposeLabel(c.Purpose.Key),
                texts.Purposes.GetValueOrDefault(c.Purpose.Key)?.DescriptionIn(language), basis.Name, basis.Description,
                [.. c.Categories.Select(CategoryLabel).Order(StringComparer.CurrentCulture)]);
        }).ToList();

        var categoryKeys = concerning.SelectMany(c => c.Categories).Concat(evidence).Distinct(StringComparer.Ordinal)
            .Where(texts.Categories.ContainsKey).OrderBy(CategoryLabel, StringComparer.CurrentCulture).ToList();
        var categories = categoryKeys.Select(key =>
        {
            var forIt = concerning.Where(c => c.Categories.Contains(key)).Select(c => c.Purpose).ToList();
            var (rules, status) = RetentionText(key, schedules, concerning, PurposeLabel, language);
            return new ReportCategory(key, texts.Categories[key].Name, [.. forIt.Select(p => p.Key)],
                [.. forIt.Where(p => p.Retention is not null).Select(p => $"{p.Name}: {p.Retention}").Distinct()],
                CategoryLabel(key), texts.Categories[key].DescriptionIn(language), [.. forIt.Select(p => PurposeLabel(p.Key))], rules, status);
        }).ToList();

        var recipients = held.GroupBy(h => h.Recipient).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var r = texts.Recipients.GetValueOrDefault(g.Key);
                var country = r?.Country ?? "";
                var recipientCategories = g.SelectMany(h => h.Categories).Distinct().Order(StringComparer.Ordinal).ToList();
                var recipientPurposes = g.SelectMany(h => h.Purposes).Distinct().Order(StringComparer.Ordinal).ToList();
                return new ReportRecipient(g.Key, r?.Text.Name ?? g.Key, recipientCategories, recipientPurposes,
                    g.Min(h => h.FirstDisclosedAt), g.Max(h => h.LastDisclosedAt), g.Sum(h => h.Disclosures),
                    r?.Text.NameIn(language) ?? g.Key, r?.Text.DescriptionIn(language), r is null ? "" : RegistryTexts.Of(r.Kind, language),
                    country, RegistryTexts.Country(country, language), country.Length > 0 && !Countries.IsEea(country), r?.TransferSafeguard,
                    [.. recipientCategories.Select(CategoryLabel)], [.. recipientPurposes.Select(PurposeLabel)]);
            })
            .ToList();

        var c = controller.Value;
        return new AccessReport(request.Id, time.GetUtcNow(), language, new ControllerInfo(c.Name, c.Address, c.Email), customers,
            purposes, categories, schedules, recipients, Source(sv), [.. history.OrderBy(e => e.OccurredAt)], systemData, Rights(sv), Imy,
            sv
                ? "Vi fattar inga beslut som enbart grundas på automatiserad behandling, inklusive profilering, och som har rättsliga följder för dig " +
                  "eller på liknande sätt i betydande grad påverkar dig (artikel 22 i dataskyddsförordningen)."
                : "We make no decisions based solely on automated processing, including profiling, that have legal effects concerning you or " +
                  "similarly significantly affect you (Article 22 of the GDPR).",
            Transfers(recipients, sv), OwnProcessing(retentionContext, texts, language),
            [.. history.OrderBy(e => e.OccurredAt).Select(e => Consent(e, PurposeLabel, sv))]);
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
            systems = SystemTasks(request).Select(t => new { system = t.Target, status = t.Status, data = Data(t) }),
        };
    }

    private static IEnumerable<RequestTask> SystemTasks(RightsRequest request) =>
        request.Tasks.Where(t => t.TargetKind == TaskTargetKind.System && t.Action == TaskAction.Export).OrderBy(t => t.Target, StringComparer.Ordinal);

    private static JsonElement? Data(RequestTask task) => task.Result is null ? null : JsonDocument.Parse(task.Result).RootElement;

    private static string SystemStatus(RequestTaskStatus status, bool hasData, bool sv) => (status, hasData, sv) switch
    {
        (RequestTaskStatus.Done, true, true) => "Det här är de uppgifter om dig som finns här.",
        (RequestTaskStatus.Done, true, false) => "This is the data about you held here.",
        (RequestTaskStatus.Done, false, true) => "Här finns inga uppgifter om dig.",
        (RequestTaskStatus.Done, false, false) => "No data about you is held here.",
        (RequestTaskStatus.Failed, _, true) => "Uppgifterna kunde inte hämtas ännu. Vi försöker igen och skickar dem till dig.",
        (RequestTaskStatus.Failed, _, false) => "The data could not be fetched yet. We are trying again and will send it to you.",
        (_, _, true) => "Uppgifterna har inte hämtats ännu. Du får dem så snart de finns, senast när svaret på din begäran ska vara klart.",
        (_, _, false) => "The data has not been fetched yet. You will get it as soon as it is ready, at the latest when your request is due.",
    };

    /// <summary>Art 15(1)(d): how long each category is kept, in plain words: the rule of each purpose concerning the subject, then where it stands.</summary>
    private static (List<string> Rules, string Status) RetentionText(string category, List<SubjectSchedule> schedules,
        List<(PurposeFacts Purpose, List<string> Categories)> concerning, Func<string, string> purposeLabel, string language)
    {
        var sv = language == "sv";
        var lines = new List<string>();
        var states = new List<string>();
        foreach (var schedule in schedules.Select(s => s.Categories.FirstOrDefault(c => c.Category == category)).OfType<CategorySchedule>())
        {
            foreach (var rule in schedule.Rules.Where(r => r.State != RuleState.NotApplicable))
            {
                var purpose = concerning.FirstOrDefault(c => c.Purpose.Key == rule.Purpose && c.Categories.Contains(category)).Purpose;
                if (purpose is not null)
                {
                    var law = purpose.LegalBasis == LegalBasis.LegalObligation && rule.LegalReference is not null ? $" ({rule.LegalReference})" : "";
                    lines.Add($"{purposeLabel(rule.Purpose)}: {Lower(RetentionWording.Describe(rule.Period, rule.Trigger, rule.Action, language).TrimEnd('.'))}{law}.");
                }
            }

            var day = schedule.EndsAt?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            states.Add((schedule.State, sv) switch
            {
                (CategoryState.Scheduled, true) => $"Sparas till {day}.",
                (CategoryState.Scheduled, false) => $"Kept until {day}.",
                (CategoryState.Due, true) => $"Tiden gick ut {day}; uppgifterna raderas eller avidentifieras inom kort.",
                (CategoryState.Due, false) => $"The period ended on {day}; the data will be erased or anonymised shortly.",
                (CategoryState.Held, true) => $"Tiden gick ut {day}, men uppgifterna behövs för ett rättsligt anspråk. De sparas därför tills vidare och används inte till något annat.",
                (CategoryState.Held, false) => $"The period ended on {day}, but the data is needed for a legal claim. It is kept for now and used for nothing else.",
                (CategoryState.Swept, true) => $"Tiden gick ut {day}, och uppgifterna håller på att raderas eller avidentifieras.",
                (CategoryState.Swept, false) => $"The period ended on {day}, and the data is being erased or anonymised.",
                (_, true) => "Sparas så länge ändamålet består.",
                (_, false) => "Kept while the purpose lasts.",
            });
        }

        var kept = sv ? "Sparas så länge ändamålet består." : "Kept while the purpose lasts.";
        return ([.. lines.Distinct()], states.Count > 0 ? string.Join(" ", states.Distinct()) : kept);
    }

    /// <summary>Art 15(1)(c), 15(2): whether anything went outside the EU/EEA, and under which safeguard.</summary>
    private static string Transfers(List<ReportRecipient> recipients, bool sv)
    {
        var outside = recipients.Where(r => r.OutsideEea).ToList();
        if (outside.Count == 0)
        {
            return sv ? "Inga uppgifter om dig har förts över till något land utanför EU/EES."
                      : "No data about you has been transferred to a country outside the EU/EEA.";
        }

        return string.Join(" ", outside.Select(r => sv
            ? $"{r.Label} finns i {r.CountryName}, utanför EU/EES. Överföringen skyddas av: {r.TransferSafeguard}."
            : $"{r.Label} is in {r.CountryName}, outside the EU/EEA. The transfer is protected by: {r.TransferSafeguard}."));
    }

    /// <summary>The service's own processing (consent proofs, requests, delivery, deduplication) in one paragraph, with its retention rules.</summary>
    private static string OwnProcessing(RetentionContext context, RegistryTextBook texts, string language)
    {
        var sv = language == "sv";
        var parts = OwnDataStores.Purposes.Order(StringComparer.Ordinal).Select(purpose =>
        {
            var name = texts.Purposes.TryGetValue(purpose, out var p) ? p.NameIn(language) : purpose;
            var kept = context.Rules.Values.Where(r => r.PurposeKey == purpose)
                .Select(r => RetentionWording.Describe(r.Period, r.Trigger, r.Action, language)).Distinct().ToList();
            // A store's categories may follow different rules (the consent record and its proof's IP address): each, as alternatives.
            return kept.Count == 0 ? Lower(name) : $"{Lower(name)} ({string.Join(sv ? ", eller " : ", or ", kept.Select(k => Lower(k.TrimEnd('.'))))})";
        });
        return sv
            ? "Den här tjänsten, som håller ordning på dina samtycken och dina begäranden, behandlar också några uppgifter om dig för att vi " +
              "ska kunna visa att vi följer dataskyddsförordningen (artikel 5.2, 7.1, 12 och 19). Det gäller " + string.Join("; ", parts) + "."
            : "This service, which keeps track of your consents and your requests, also processes some data about you so that we can show " +
              "that we comply with the GDPR (Articles 5(2), 7(1), 12 and 19). This covers " + string.Join("; ", parts) + ".";
    }

    private static string Lower(string text) => text.Length == 0 ? text : char.ToLower(text[0], CultureInfo.InvariantCulture) + text[1..];

    private static ReportConsentEvent Consent(ConsentEventResponse e, Func<string, string> purposeLabel, bool sv)
    {
        var where = (e.Channel, sv) switch
        {
            (ConsentChannel.Banner, true) => "i kakbannern på webbplatsen",
            (ConsentChannel.Banner, false) => "in the cookie banner on the website",
            (ConsentChannel.SettingsPage, true) => "på inställningssidan",
            (ConsentChannel.SettingsPage, false) => "on the settings page",
            (ConsentChannel.SignupForm, true) => "i ett anmälningsformulär",
            (ConsentChannel.SignupForm, false) => "in a sign-up form",
            (ConsentChannel.EmailLink, true) => "via en länk i ett e-postmeddelande",
            (ConsentChannel.EmailLink, false) => "through a link in an e-mail",
            (_, true) => "genom vår personal",
            (_, false) => "through our staff",
        };
        var what = (e.Kind, sv) switch
        {
            (ConsentEventKind.Withdrawal, true) => $"Du återkallade samtycke {where}",
            (ConsentEventKind.Withdrawal, false) => $"You withdrew consent {where}",
            (_, true) => $"Du gjorde ett val {where}",
            (_, false) => $"You made a choice {where}",
        };
        return new ReportConsentEvent(e.OccurredAt, what, [.. e.Choices.Select(c => $"{purposeLabel(c.Purpose)}: " + (c.Recorded, c.DeniedByGpc, sv) switch
        {
            (ConsentStatus.Granted, _, true) => "ja",
            (ConsentStatus.Granted, _, false) => "yes",
            (_, true, true) => "nej (din webbläsares signal Global Privacy Control)",
            (_, true, false) => "no (your browser's Global Privacy Control signal)",
            (_, _, true) => "nej",
            (_, _, false) => "no",
        })]);
    }

    private static string Source(bool sv) => sv
        ? "Uppgifterna har du själv lämnat till oss, till exempel när du bokat, betalat, skapat en profil eller skrivit till oss, eller så har de " +
          "uppkommit när du använt vår webbplats och våra tjänster (till exempel IP-adress, kakor och hur du använt webbplatsen)."
        : "You gave us the data yourself, for example when you booked, paid, created a profile or wrote to us, or it arose when you used our " +
          "website and services (for example your IP address, cookies and how you used the website).";

    private static List<ReportRight> Rights(bool sv) => sv
        ?
        [
            new("Tillgång", "artikel 15", "Att få veta vilka uppgifter om dig vi behandlar och få en kopia av dem. Det är det här registerutdraget."),
            new("Rättelse och komplettering", "artikel 16", "Att få felaktiga uppgifter rättade och ofullständiga uppgifter kompletterade."),
            new("Radering", "artikel 17",
                "Att få uppgifterna raderade, till exempel när de inte längre behövs eller när du har återkallat ditt samtycke. Det som lag " +
                "kräver att vi sparar, som bokföring, raderas när den tiden har gått ut och används inte till något annat under tiden."),
            new("Avidentifiering", "integritetspolicyn", "Att få uppgifterna avidentifierade så att de inte längre kan kopplas till dig."),
            new("Begränsning", "artikel 18",
                "Att vi begränsar behandlingen, till exempel medan vi utreder om uppgifterna är riktiga eller om din invändning gäller."),
            new("Dataportabilitet", "artikel 20",
                "Att få de uppgifter som du själv har lämnat till oss i ett maskinläsbart format, så att du kan föra över dem till någon annan."),
            new("Invändning", "artikel 21.1",
                "Att invända mot behandling som grundar sig på vårt berättigade intresse. Vi slutar då, om vi inte kan visa tvingande " +
                "berättigade skäl som väger tyngre än dina intressen, eller om uppgifterna behövs för ett rättsligt anspråk."),
            new("Invändning mot direktmarknadsföring", "artikel 21.2–21.3",
                "Att när som helst invända mot att dina uppgifter används för direktmarknadsföring, till exempel nyhetsbrevet, och mot " +
                "profilering för sådan marknadsföring. Du behöver inte ange något skäl, och vi slutar direkt."),
            new("Återkalla samtycke", "artikel 7.3",
                "Att när som helst återkalla ett samtycke, lika enkelt som du gav det. Det påverkar inte den behandling som skett innan."),
            new("Klaga hos Integritetsskyddsmyndigheten", "artikel 77",
                "Att klaga hos Integritetsskyddsmyndigheten (IMY), Box 8114, 104 20 Stockholm, www.imy.se, om du anser att vi behandlar " +
                "dina uppgifter i strid med dataskyddsförordningen."),
            new("Prövning i domstol", "artikel 78–79",
                "Att få saken prövad i domstol: ett beslut av IMY kan överklagas till allmän förvaltningsdomstol, och du kan väcka talan " +
                "mot oss i allmän domstol om du anser att dina rättigheter har kränkts."),
        ]
        :
        [
            new("Access", "Article 15", "To know which data about you we process and to receive a copy of it. This report is that copy."),
            new("Rectification and completion", "Article 16", "To have inaccurate data corrected and incomplete data completed."),
            new("Erasure", "Article 17",
                "To have the data erased, for example when it is no longer needed or when you have withdrawn your consent. What the law " +
                "requires us to keep, such as accounting records, is erased when that time has passed and is used for nothing else meanwhile."),
            new("Anonymisation", "privacy policy", "To have the data anonymised so that it can no longer be linked to you."),
            new("Restriction", "Article 18",
                "To have processing restricted, for example while we look into whether the data is accurate or whether your objection applies."),
            new("Data portability", "Article 20",
                "To receive the data you gave us in a machine-readable format, so that you can take it to someone else."),
            new("Objection", "Article 21(1)",
                "To object to processing based on our legitimate interests. We then stop, unless we can show compelling legitimate grounds " +
                "that override your interests, or the data is needed for a legal claim."),
            new("Objection to direct marketing", "Article 21(2)–(3)",
                "To object at any time to your data being used for direct marketing, for example the newsletter, and to profiling for such " +
                "marketing. You do not need to give a reason, and we stop at once."),
            new("Withdrawing consent", "Article 7(3)",
                "To withdraw a consent at any time, as easily as you gave it. This does not affect processing before the withdrawal."),
            new("Complaining to the supervisory authority", "Article 77",
                "To complain to Integritetsskyddsmyndigheten (IMY), the Swedish Authority for Privacy Protection, Box 8114, 104 20 Stockholm, " +
                "Sweden, www.imy.se, if you think we process your data in breach of the GDPR."),
            new("An effective judicial remedy", "Articles 78–79",
                "To have the matter decided by a court: a decision of IMY can be appealed to the general administrative courts, and you " +
                "can bring proceedings against us before the general courts if you think your rights have been infringed."),
        ];
}
