using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;
using Privacy.Api.Registry;

namespace Privacy.Api.Consent;

/// <summary>
/// A consent receipt a person can keep, with the fields of the Kantara Initiative consent receipt
/// (v1.1) and ISO/IEC TS 27560: controller and contact, subject reference, purposes with their status
/// and legal basis, policy version and notice hash, time, jurisdiction, collection method, receipt id.
/// </summary>
public sealed record ConsentReceipt(
    string Version,
    string Jurisdiction,
    long ConsentTimestamp,
    DateTimeOffset ConsentTime,
    string CollectionMethod,
    Guid ConsentReceiptId,
    string Language,
    string PiiPrincipalId,
    IReadOnlyList<ReceiptController> PiiControllers,
    string PolicyVersion,
    string? NoticeId,
    string? NoticeHash,
    bool GlobalPrivacyControl,
    IReadOnlyList<ReceiptService> Services,
    bool Sensitive,
    IReadOnlyList<string> SpiCat)
{
    /// <summary>Whether the event was a decision or a withdrawal (not a Kantara field; the JSON-LD record's status needs it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ConsentEventKind Kind { get; init; }
}

public sealed record ReceiptController(string PiiController, string Contact, string Address, string Email, bool OnBehalf);

public sealed record ReceiptService(string Service, IReadOnlyList<ReceiptPurpose> Purposes);

/// <param name="Status">granted or denied, as recorded by this event.</param>
/// <param name="Termination">How the consent ends: withdrawal at any time, or expiry.</param>
public sealed record ReceiptPurpose(
    string Purpose,
    string PurposeName,
    string Status,
    string ConsentType,
    string LegalBasis,
    IReadOnlyList<string> PiiCategory,
    bool PrimaryPurpose,
    string Termination,
    bool ThirdPartyDisclosure,
    IReadOnlyList<string> ThirdPartyName);

public static class ConsentReceipts
{
    public const string ReceiptVersion = "KI-CR-v1.1.0";

    public static async Task<ConsentReceipt?> BuildAsync(PrivacyDbContext db, Guid receiptId, ControllerOptions controller, int validityMonths,
        CancellationToken cancellationToken)
    {
        var consentEvent = await db.Set<ConsentEvent>().AsNoTracking().Include(e => e.Choices)
            .SingleOrDefaultAsync(e => e.Id == receiptId, cancellationToken);
        if (consentEvent is null)
        {
            return null;
        }

        var keys = consentEvent.Choices.Select(c => c.PurposeKey).ToList();
        var purposes = await db.Set<Purpose>().AsNoTracking().Where(p => keys.Contains(p.Key)).ToDictionaryAsync(p => p.Key, cancellationToken);
        var links = await db.Set<ProcessingLink>().AsNoTracking()
            .Where(l => keys.Contains(l.PurposeKey) && l.RetiredAt == null)
            .Select(l => new { l.PurposeKey, l.CategoryKey, l.RecipientKey })
            .ToListAsync(cancellationToken);
        var recipientNames = await db.Set<Recipient>().AsNoTracking().ToDictionaryAsync(r => r.Key, r => r.Name, cancellationToken);

        var receiptPurposes = consentEvent.Choices.OrderBy(c => c.PurposeKey).Select(c =>
        {
            var purpose = purposes[c.PurposeKey];
            var own = links.Where(l => l.PurposeKey == c.PurposeKey).ToList();
            var thirdParties = own.Where(l => l.RecipientKey is not null).Select(l => recipientNames[l.RecipientKey!]).Distinct().Order().ToList();
            return new ReceiptPurpose(
                c.PurposeKey,
                purpose.Name,
                c.Granted ? "granted" : "denied",
                purpose.AlwaysOn ? "NOT_REQUIRED" : "EXPLICIT",
                RecordOfProcessing.EnumText(purpose.LegalBasis),
                [.. own.Select(l => l.CategoryKey).Distinct().Order()],
                PrimaryPurpose: purpose.AlwaysOn,
                $"Withdraw at any time in the cookie settings or by e-mail to {controller.Email}; otherwise asked again after {validityMonths} months.",
                thirdParties.Count > 0,
                thirdParties);
        }).ToList();

        return new ConsentReceipt(
            ReceiptVersion,
            "SE",
            consentEvent.OccurredAt.ToUnixTimeSeconds(),
            consentEvent.OccurredAt,
            RecordOfProcessing.EnumText(consentEvent.Channel),
            consentEvent.Id,
            consentEvent.Language,
            $"{RecordOfProcessing.EnumText(consentEvent.SubjectType)}:{consentEvent.SubjectId}",
            [new ReceiptController(controller.Name, controller.Email, controller.Address, controller.Email, OnBehalf: false)],
            consentEvent.PolicyVersion,
            consentEvent.NoticeId,
            consentEvent.NoticeHash,
            consentEvent.Gpc,
            [new ReceiptService($"{controller.Name} website", receiptPurposes)],
            Sensitive: false,
            SpiCat: []) { Kind = consentEvent.Kind };
    }
}
