using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Registry;

namespace Privacy.Api.Retention;

/// <summary>
/// The rules the privacy policy implies, one per category × purpose the registry links: a purpose's default, and a few
/// categories that differ. Inserted once: a rule that exists, even edited or removed by ops, is never touched again.
/// </summary>
internal sealed class RetentionSeed(AuditTrail audit, TimeProvider time) : IDatabaseSeeder
{
    private const string Limitation = "Preskriptionslagen (1981:130) 2 §";
    private const string Bookkeeping = "Bokföringslagen (1999:1078) 7 kap. 2 §";

    internal static readonly Dictionary<string, (string Period, RetentionTrigger Trigger, RetentionAction Action, string? Reference, string Note)> Defaults = new()
    {
        ["cookies.necessary"] = ("P12M", RetentionTrigger.LastActivity, RetentionAction.Erase, "Lag (2022:482) om elektronisk kommunikation 9 kap. 28 §",
            "Session and consent cookies' data: a year after the visitor was last seen."),
        ["cookies.preferences"] = ("P0D", RetentionTrigger.ConsentEnded, RetentionAction.Erase, "Art 7(3)", "Until the consent is withdrawn or expires."),
        ["cookies.statistics"] = ("P0D", RetentionTrigger.ConsentEnded, RetentionAction.Erase, "Art 7(3)", "Until the consent is withdrawn or expires."),
        ["third_party_marketing"] = ("P0D", RetentionTrigger.ConsentWithdrawn, RetentionAction.Erase, "Art 7(3), Art 21(3)",
            "Until the consent is withdrawn."),
        ["customer_obligations"] = ("P3Y", RetentionTrigger.RelationshipEnded, RetentionAction.Erase, Limitation,
            "Three years after the customer relationship ended, when claims from it are time-barred."),
        ["website_services"] = ("P30D", RetentionTrigger.RelationshipEnded, RetentionAction.Erase, "Art 5(1)(e)",
            "A month after the account was closed."),
        ["billing"] = ("P3Y", RetentionTrigger.RelationshipEnded, RetentionAction.Erase, Limitation,
            "Three years after the customer relationship ended, when unpaid invoices are time-barred."),
        ["requested_emails"] = ("P6M", RetentionTrigger.Completed, RetentionAction.Erase, "Art 5(1)(e)",
            "Six months after the requested correspondence was complete."),
        ["newsletter"] = ("P0D", RetentionTrigger.ConsentWithdrawn, RetentionAction.Erase, "Art 7(3)", "Until the consent is withdrawn."),
        ["anonymous_statistics"] = ("P13M", RetentionTrigger.Collected, RetentionAction.Anonymise, "Art 5(1)(e), Art 89(1)",
            "Raw usage data thirteen months after collection, then only anonymous aggregates."),
        ["legal_compliance"] = ("P7Y", RetentionTrigger.EndOfTransactionYear, RetentionAction.Erase, Bookkeeping,
            "Accounting records: seven years after the end of the calendar year of the transaction."),
        ["publication"] = ("P0D", RetentionTrigger.ConsentWithdrawn, RetentionAction.Erase, "Art 7(3)", "Until the consent is withdrawn."),
        [OwnDataStores.ConsentProofPurpose] = ("P12M", RetentionTrigger.ConsentEnded, RetentionAction.Erase, "Art 5(1)(c), Art 7(1)",
            "The clear IP address and user agent of a consent proof: twelve months after the consent expired or was superseded. The consent " +
            "record (policy version, time, notice hash, keyed hashes) stays as proof."),
        [OwnDataStores.RightsRequestPurpose] = ("P3Y", RetentionTrigger.Completed, RetentionAction.Anonymise, "Art 5(2), Art 12; " + Limitation,
            "Three years after the request was closed, to answer a complaint about how it was handled; then anonymised."),
        [OwnDataStores.DeliveryPurpose] = ("P30D", RetentionTrigger.Completed, RetentionAction.Erase, "Art 5(1)(e)",
            "Delivered notifications: thirty days after delivery, for support and replay."),
        [OwnDataStores.DeduplicationPurpose] = ("P7D", RetentionTrigger.Collected, RetentionAction.Erase, "Art 5(1)(e)",
            "A retry with the same Idempotency-Key within seven days gets the first answer."),
        [OwnDataStores.DisclosurePurpose] = ("P3Y", RetentionTrigger.Completed, RetentionAction.Anonymise, "Art 5(2), Art 19, Art 30(1)(d); " + Limitation,
            "Three years after the recipient acknowledged erasing or anonymising every category a disclosure gave it, to answer a complaint " +
            "or claim about the disclosure; then the customer number becomes a random token and the national identity number's keyed " +
            "hash and the sender's reference go."),
        [OwnDataStores.FollowUpPurpose] = ("P3Y", RetentionTrigger.Completed, RetentionAction.Anonymise, "Art 5(2), Art 19; " + Limitation,
            "Three years after the recipient answered (an erasure's follow-up no earlier than the disclosures it answers), to show it was " +
            "told; then the customer number becomes a random token and the corrected values, references and reasons go."),
        [OwnDataStores.RetentionRecordsPurpose] = ("P3Y", RetentionTrigger.Completed, RetentionAction.Erase, "Art 5(1)(e), Art 5(2); " + Limitation,
            "Three years after the customer's last clock event, sweep or legal hold, once nothing more is scheduled and no hold is in " +
            "force, to show why data was kept or erased; then the clocks, swept items and holds (with their reasons) are deleted."),
    };

    internal static readonly Dictionary<(string Purpose, string Category), (string Period, RetentionTrigger Trigger, RetentionAction Action, string? Reference, string Note)> Overrides = new()
    {
        [("customer_obligations", "user.content.private")] = ("P2Y", RetentionTrigger.Completed, RetentionAction.Erase, "Art 5(1)(e)",
            "Support communications: two years after the case was closed."),
        [("website_services", "user.device.ip_address")] = ("P12M", RetentionTrigger.Collected, RetentionAction.Erase, "Art 5(1)(e)",
            "IP addresses in the website's logs: twelve months after collection."),
        [("website_services", "user.behavior.browsing_history")] = ("P13M", RetentionTrigger.Collected, RetentionAction.Erase, "Art 5(1)(e)",
            "Usage data: thirteen months after collection."),
        [("website_services", "user.device.cookie_id")] = ("P12M", RetentionTrigger.LastActivity, RetentionAction.Erase, "Art 5(1)(e)",
            "Cookie identifiers: a year after the visitor was last seen."),
        [("newsletter", "user.privacy_preferences")] = ("P3Y", RetentionTrigger.ConsentEnded, RetentionAction.Anonymise, "Art 7(1); " + Limitation,
            "The record of a newsletter consent: three years after it ended, to show it was given."),
        [(OwnDataStores.ConsentProofPurpose, "user.privacy_preferences")] = ("P3Y", RetentionTrigger.ConsentEnded, RetentionAction.Anonymise,
            "Art 7(1); " + Limitation,
            "Consent records (events and choices under a visitor id, customer number or an erasure's keyed pseudonym, and the keyed hashes " +
            "of the proof): three years after each choice ended (superseded or expired); then the subject becomes a random token and the hashes go."),
        [(OwnDataStores.ConsentProofPurpose, "user.device.cookie_id")] = ("P3Y", RetentionTrigger.ConsentEnded, RetentionAction.Erase,
            "Art 7(1); " + Limitation,
            "A visitor's link to a customer: once no consent record names the visitor any more, and at least three years after the link was made; then deleted."),
        [("legal_compliance", "user.privacy_preferences")] = ("P3Y", RetentionTrigger.ConsentEnded, RetentionAction.Anonymise, "Art 7(1); " + Limitation,
            "Consent records: three years after the consent ended, to show it was given."),
    };

    public async Task SeedAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var existing = (await db.Set<RetentionRule>().IgnoreQueryFilters().Select(r => new { r.PurposeKey, r.CategoryKey }).ToListAsync(cancellationToken))
            .Select(r => (r.PurposeKey, r.CategoryKey)).ToHashSet();
        var links = await db.Set<ProcessingLink>().Where(l => l.RetiredAt == null).Select(l => new { l.PurposeKey, l.CategoryKey }).Distinct()
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var added = 0;
        foreach (var link in links.Where(l => !existing.Contains((l.PurposeKey, l.CategoryKey))).OrderBy(l => l.PurposeKey).ThenBy(l => l.CategoryKey))
        {
            if (!Overrides.TryGetValue((link.PurposeKey, link.CategoryKey), out var rule) && !Defaults.TryGetValue(link.PurposeKey, out rule))
            {
                continue; // a purpose ops added: a gap until they set its rules
            }

            db.Add(new RetentionRule
            {
                PurposeKey = link.PurposeKey, CategoryKey = link.CategoryKey, Period = rule.Period, Trigger = rule.Trigger, Action = rule.Action,
                LegalReference = rule.Reference, Note = rule.Note, UpdatedAt = now, UpdatedBy = "seed",
            });
            added++;
        }

        if (added > 0)
        {
            audit.Record("retention.rule.seeded", "retention_rule", "seed", new { count = added }, Actor.Service);
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Active purpose × category links without a rule (a removed rule leaves a gap).</summary>
    public static async Task<List<RetentionGap>> GapsAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var rules = (await db.Set<RetentionRule>().AsNoTracking().Select(r => new { r.PurposeKey, r.CategoryKey }).ToListAsync(cancellationToken))
            .Select(r => (r.PurposeKey, r.CategoryKey)).ToHashSet();
        var purposes = await db.Set<Purpose>().AsNoTracking().Where(p => p.RetiredAt == null).ToDictionaryAsync(p => p.Key, p => p.Name, cancellationToken);
        var categories = await db.Set<DataCategory>().AsNoTracking().Where(c => c.RetiredAt == null).ToDictionaryAsync(c => c.Key, c => c.Name, cancellationToken);
        var links = await db.Set<ProcessingLink>().AsNoTracking().Where(l => l.RetiredAt == null).Select(l => new { l.PurposeKey, l.CategoryKey }).Distinct()
            .ToListAsync(cancellationToken);
        return [.. links.Where(l => !rules.Contains((l.PurposeKey, l.CategoryKey)) && purposes.ContainsKey(l.PurposeKey) && categories.ContainsKey(l.CategoryKey))
            .OrderBy(l => l.PurposeKey, StringComparer.Ordinal).ThenBy(l => l.CategoryKey, StringComparer.Ordinal)
            .Select(l => new RetentionGap(l.PurposeKey, purposes[l.PurposeKey], l.CategoryKey, categories[l.CategoryKey]))];
    }
}
