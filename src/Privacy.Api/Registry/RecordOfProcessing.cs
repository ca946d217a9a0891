using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Registry;

/// <summary>The controller's identity and security measures, for the record of processing (Art 30(1)(a), (g)).</summary>
public sealed class ControllerOptions
{
    public const string Section = "Controller";

    public string Name { get; set; } = "Smultronsites AB";

    public string Address { get; set; } = "Årevägen 35E, 837 52 Åre, Sweden";

    public string Email { get; set; } = "hello@smultronsites.com";

    /// <summary>Art 30(1)(g): a general description of the technical and organisational security measures.</summary>
    public List<string> SecurityMeasures { get; set; } =
    [
        "Every caller of the privacy service is authenticated with an API key; keys are stored only as SHA-256 hashes.",
        "Role-based access: the website, each partner, internal systems and staff see only what belongs to them.",
        "Tamper-evident audit log of every change, sealed in a SHA-256 hash chain that can be verified at any time.",
        "Logs and error messages carry no national identity numbers, e-mail addresses or IP addresses.",
        "Personal data is disclosed only to the recipients and for the purposes recorded in this registry.",
    ];
}

/// <summary>The Art 30(1) record of processing activities.</summary>
public sealed record RecordOfProcessingResponse(
    DateTimeOffset GeneratedAt,
    ControllerInfo Controller,
    IReadOnlyList<DataSubjectType> CategoriesOfDataSubjects,
    IReadOnlyList<ProcessingActivity> ProcessingActivities,
    IReadOnlyList<InternalSystemResponse> InternalSystems,
    IReadOnlyList<string> SecurityMeasures);

public sealed record ControllerInfo(string Name, string Address, string Email);

/// <summary>One purpose of processing with everything Art 30(1)(b)–(f) asks of it.</summary>
public sealed record ProcessingActivity(
    string Purpose,
    string Name,
    string? Description,
    LegalBasis LegalBasis,
    IReadOnlyList<DataSubjectType> DataSubjects,
    IReadOnlyList<CategoryRef> PersonalDataCategories,
    IReadOnlyList<RecipientKind> CategoriesOfRecipients,
    IReadOnlyList<RecipientDisclosure> Recipients,
    IReadOnlyList<ThirdCountryTransfer> ThirdCountryTransfers,
    string? Retention,
    string? NameSv,
    string? NameEn);

/// <param name="NameSv">The name a person reads in Swedish (null: not translated yet); likewise <paramref name="NameEn"/>.</param>
public sealed record CategoryRef(string Key, string Name, string? NameSv, string? NameEn);

/// <summary>A recipient of this purpose and the categories disclosed to it.</summary>
public sealed record RecipientDisclosure(string Key, string Name, RecipientKind Kind, string Country, IReadOnlyList<string> Categories,
    string? NameSv, string? NameEn);

public sealed record ThirdCountryTransfer(string Recipient, string Country, string? Safeguard);

public static class RecordOfProcessing
{
    /// <summary>Builds the record from active entries and active links only.</summary>
    public static async Task<RecordOfProcessingResponse> BuildAsync(PrivacyDbContext db, ControllerOptions controller,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var purposes = await db.Set<Purpose>().AsNoTracking().Where(p => p.RetiredAt == null).OrderBy(p => p.Key).ToListAsync(cancellationToken);
        var categories = await db.Set<DataCategory>().AsNoTracking().Where(c => c.RetiredAt == null).ToDictionaryAsync(c => c.Key, cancellationToken);
        var recipients = await db.Set<Recipient>().AsNoTracking().Where(r => r.RetiredAt == null).ToDictionaryAsync(r => r.Key, cancellationToken);
        var links = await db.Set<ProcessingLink>().AsNoTracking().Where(l => l.RetiredAt == null).ToListAsync(cancellationToken);
        var systems = await db.Set<InternalSystem>().AsNoTracking().Where(s => s.RetiredAt == null).OrderBy(s => s.Key)
            .Select(InternalSystems.Projection).ToListAsync(cancellationToken);

        var activities = purposes.Select(purpose =>
        {
            var own = links.Where(l => l.PurposeKey == purpose.Key && categories.ContainsKey(l.CategoryKey)).ToList();
            var disclosed = own
                .Where(l => l.RecipientKey is not null && recipients.ContainsKey(l.RecipientKey))
                .GroupBy(l => l.RecipientKey!)
                .OrderBy(g => g.Key)
                .Select(g => ToDisclosure(recipients[g.Key], g))
                .ToList();
            return new ProcessingActivity(
                purpose.Key, purpose.Name, purpose.Description, purpose.LegalBasis, purpose.DataSubjects,
                [.. own.Select(l => l.CategoryKey).Distinct().Order().Select(k => new CategoryRef(k, categories[k].Name, categories[k].NameSv, categories[k].NameEn))],
                [.. disclosed.Select(d => d.Kind).Distinct().Order()],
                disclosed,
                [.. disclosed.Where(d => !Countries.IsEea(d.Country))
                    .Select(d => new ThirdCountryTransfer(d.Key, d.Country, recipients[d.Key].TransferSafeguard))],
                purpose.Retention,
                purpose.NameSv,
                purpose.NameEn);
        }).ToList();

        return new RecordOfProcessingResponse(
            time.GetUtcNow(),
            new ControllerInfo(controller.Name, controller.Address, controller.Email),
            [.. purposes.SelectMany(p => p.DataSubjects).Distinct().Order()],
            activities,
            systems,
            controller.SecurityMeasures);
    }

    /// <summary>The same record as CSV (RFC 4180): one row per processing activity, lists joined with "; ".</summary>
    public static string ToCsv(RecordOfProcessingResponse record)
    {
        var csv = new StringBuilder();
        AppendRow(csv, "controller", "controller_contact", "purpose", "purpose_name", "legal_basis", "data_subjects",
            "personal_data_categories", "categories_of_recipients", "recipients", "third_country_transfers", "retention",
            "security_measures", "purpose_name_sv", "purpose_name_en");
        foreach (var a in record.ProcessingActivities)
        {
            AppendRow(csv,
                record.Controller.Name,
                $"{record.Controller.Address}; {record.Controller.Email}",
                a.Purpose,
                a.Name,
                EnumText(a.LegalBasis),
                string.Join("; ", a.DataSubjects.Select(EnumText)),
                string.Join("; ", a.PersonalDataCategories.Select(c => c.Key)),
                string.Join("; ", a.CategoriesOfRecipients.Select(EnumText)),
                string.Join("; ", a.Recipients.Select(r => $"{r.Name} ({r.Country}): {string.Join(", ", r.Categories)}")),
                a.ThirdCountryTransfers.Count == 0 ? "none" : string.Join("; ", a.ThirdCountryTransfers.Select(t => $"{t.Recipient} ({t.Country}): {t.Safeguard}")),
                a.Retention ?? "",
                string.Join("; ", record.SecurityMeasures),
                a.NameSv ?? "",
                a.NameEn ?? "");
        }

        return csv.ToString();
    }

    private static RecipientDisclosure ToDisclosure(Recipient r, IEnumerable<ProcessingLink> links) =>
        new(r.Key, r.Name, r.Kind, r.Country, [.. links.Select(l => l.CategoryKey).Distinct().Order()], r.NameSv, r.NameEn);

    internal static string EnumText<T>(T value) where T : struct, Enum =>
        System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    private static void AppendRow(StringBuilder csv, params string[] cells)
    {
        csv.AppendJoin(',', cells.Select(Platform.Csv.CsvCell.Escape)).Append("\r\n");
    }
}
