using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Audit;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Registry;

/// <summary>
/// What the privacy policy (2022-02-08) says is processed, why, and who receives it. Inserted once:
/// an entry or link that exists (even retired, even edited by ops) is never touched again.
/// </summary>
internal sealed class RegistrySeed(AuditTrail audit, TimeProvider time, IOptions<ApiKeyOptions> keys, ILogger<RegistrySeed> logger)
    : IDatabaseSeeder
{
    // Policy §"Insamling", items 1–9, with their fideslang keys; plus the consent state itself.
    internal static readonly (string Key, string Name, string Description)[] Categories =
    [
        ("user.name", "Name", "Policy item 1: the person's name."),
        ("user.contact.phone_number", "Phone number", "Policy item 2."),
        ("user.contact.email", "E-mail address", "Policy item 2."),
        ("user.payment", "Payment details", "Policy item 3: payments, statements, invoices."),
        ("user.financial.credit_card", "Card details", "Policy item 3: handled by the card provider."),
        ("user.unique_id", "Customer number", "Policy item 4."),
        ("user.government_id.national_identification_number", "Personal identity number",
            "Policy item 5: personnummer or samordningsnummer (and a sole trader's organisation number). Stored only as a keyed hash (Dataskyddslagen 3 kap. 10 §)."),
        ("user.contact.organization", "Organisation number", "Policy item 6."),
        ("user.financial.bank_account", "Account number", "Policy item 6."),
        ("user.device.ip_address", "IP address", "Policy item 7."),
        ("user.behavior.browsing_history", "Use of the website", "Policy item 7: pages visited, usage statistics."),
        ("user.device.cookie_id", "Cookie identifier", "Policy item 7 and §Cookies: session and persistent cookies."),
        ("user.account", "Profile account", "Policy item 8: the account a user creates on the website."),
        ("user.demographic.profile", "Profile information", "Policy item 8: information the user enters in the profile."),
        ("user.content.private", "Communications", "Policy item 9: e-mails and messages sent to the company."),
        ("user.privacy_preferences", "Consent and privacy preferences", "Consent decisions and their proof (Art 7(1))."),
    ];

    // Policy §"Användning", items 1–7, and publication.
    /// <summary>The policy's direct marketing: the newsletter and marketing by partners (an objection to them is absolute, Art 21(3)).</summary>
    internal static readonly string[] DirectMarketingPurposes = ["newsletter", "third_party_marketing"];

    internal static readonly (string Key, string Name, LegalBasis Basis, DataSubjectType[] Subjects, string Retention, string[] Categories)[] Purposes =
    [
        // Policy §"Cookies": asked at the first visit, then honoured on later visits.
        ("cookies.necessary", "Strictly necessary cookies: session, sign-in and the consent choice itself", LegalBasis.LegitimateInterests,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Session cookies end when the browser closes; the consent cookie lasts as long as the consent it records.",
            ["user.device.cookie_id"]),
        ("cookies.preferences", "Preference cookies: remember the visitor's settings", LegalBasis.Consent,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Until consent is withdrawn or the cookie expires (at most 12 months).",
            ["user.device.cookie_id", "user.behavior.browsing_history"]),
        ("cookies.statistics", "Statistics cookies: measure how the website is used", LegalBasis.Consent,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Until consent is withdrawn or the cookie expires (at most 12 months); raw data no longer than the statistics need.",
            ["user.device.cookie_id", "user.behavior.browsing_history", "user.device.ip_address"]),
        ("third_party_marketing", "Disclosure to third parties for their direct marketing, only with explicit consent", LegalBasis.Consent,
            [DataSubjectType.Customer],
            "Until consent is withdrawn (Art 7(3)); objection is absolute (Art 21(3)).",
            ["user.name", "user.contact.email"]),
        ("customer_obligations", "Fulfil obligations to the customer: orders, payment and support", LegalBasis.Contract,
            [DataSubjectType.Customer],
            "For the customer relationship and until its claims are settled; accounting records as under legal_compliance.",
            ["user.name", "user.contact.phone_number", "user.contact.email", "user.payment", "user.financial.credit_card", "user.unique_id",
             "user.account", "user.content.private"]),
        ("website_services", "Let the user use the services of the website", LegalBasis.Contract,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "While the account exists; usage data and IP addresses no longer than the session or cookie lifetime needs.",
            ["user.name", "user.contact.email", "user.account", "user.demographic.profile", "user.device.ip_address",
             "user.behavior.browsing_history", "user.device.cookie_id"]),
        ("billing", "Collect payments; send statements, invoices and reminders", LegalBasis.Contract,
            [DataSubjectType.Customer],
            "Until the invoice is settled; accounting records as under legal_compliance.",
            ["user.name", "user.contact.phone_number", "user.contact.email", "user.payment", "user.unique_id",
             "user.government_id.national_identification_number", "user.contact.organization", "user.financial.bank_account"]),
        ("requested_emails", "Send e-mails the user has asked for", LegalBasis.Contract,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Until the requested correspondence is complete.",
            ["user.name", "user.contact.email", "user.content.private"]),
        ("newsletter", "Send the newsletter to those who asked for it", LegalBasis.Consent,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Until consent is withdrawn (Art 7(3)); the consent proof is kept as long as the consent could be challenged.",
            ["user.name", "user.contact.email", "user.privacy_preferences"]),
        ("anonymous_statistics", "Statistics about users for third parties, from which no individual can be identified", LegalBasis.LegitimateInterests,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Raw usage data only as long as the statistics need it; only anonymous aggregates leave the company.",
            ["user.behavior.browsing_history", "user.device.cookie_id", "user.device.ip_address"]),
        ("legal_compliance", "Comply with the law, e.g. the Bookkeeping Act", LegalBasis.LegalObligation,
            [DataSubjectType.Customer],
            "Accounting records: seven years after the end of the calendar year in which the financial year ended (Bokföringslagen 1999:1078, 7 kap. 2 §).",
            ["user.name", "user.payment", "user.unique_id", "user.government_id.national_identification_number",
             "user.contact.organization", "user.financial.bank_account", "user.privacy_preferences"]),
        ("publication", "Publish what the user submits for publication, as far as the user allows", LegalBasis.Consent,
            [DataSubjectType.Customer],
            "Until consent is withdrawn or the user removes the content.",
            ["user.name", "user.demographic.profile"]),

        // The privacy service's own processing (Art 5(2) accountability); their retention rules apply to its own stores.
        ("consent_proof", "Prove that and how a consent was given (Art 7(1))", LegalBasis.LegalObligation,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "The clear IP address and user agent: twelve months after the consent expired or was superseded. The consent record (events, " +
            "choices, keyed hashes of the proof, visitor links): three years after the consent ended, then anonymised.",
            ["user.device.ip_address", "user.privacy_preferences", "user.device.cookie_id"]),
        ("rights_request_records", "Handle data subjects' requests and show how each was handled (Art 12, Art 5(2))", LegalBasis.LegalObligation,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Three years after the request was closed, then anonymised.",
            ["user.contact.email", "user.unique_id", "user.government_id.national_identification_number", "user.content.private"]),
        ("notification_delivery", "Tell recipients and internal systems what they must change, and deliver each message (Art 19)",
            LegalBasis.LegalObligation, [DataSubjectType.Customer],
            "Delivered messages: 30 days after delivery.",
            ["user.unique_id"]),
        ("request_deduplication", "Answer a retried request once (Idempotency-Key)", LegalBasis.LegitimateInterests,
            [DataSubjectType.Customer, DataSubjectType.Visitor],
            "Seven days after the request.",
            ["user.unique_id"]),
        ("disclosure_records", "Keep the disclosure log: show what was given to which recipient, and reach it with later changes (Art 5(2), Art 19, Art 30(1)(d))",
            LegalBasis.LegalObligation, [DataSubjectType.Customer],
            "Three years after the recipient confirmed it erased or anonymised what a disclosure gave it; then anonymised (no customer " +
            "number, national identity number hash or sender's reference).",
            ["user.unique_id", "user.government_id.national_identification_number"]),
        ("follow_up_records", "Show that each recipient was told of a rectification, erasure, restriction or withdrawal, and what it answered (Art 19, Art 5(2))",
            LegalBasis.LegalObligation, [DataSubjectType.Customer],
            "Three years after the recipient answered (an erasure's, no earlier than the disclosures it answers); then anonymised.",
            ["user.unique_id"]),
        ("retention_records", "Keep each customer's retention clocks, legal holds and what the sweep did, until the last period has run (Art 5(1)(e), Art 5(2))",
            LegalBasis.LegalObligation, [DataSubjectType.Customer],
            "Three years after the last clock event, sweep or hold, once nothing more is scheduled and no hold is in force; then deleted.",
            ["user.unique_id"]),
    ];

    // Where a consent to each purpose may be given (Purpose.ConsentChannels); the subject types are the purposes' DataSubjects
    // above. Only decisions that grant are limited: a withdrawal is taken on any channel (Art 7(3)). Ops (staff acting on a
    // person's phone call or letter) may record every one.
    // - Cookies: the banner asks at the first visit; the settings page changes the choice later (policy §Cookies).
    // - Newsletter: the signup form, the settings page, and an e-mail link (the confirmation of a double opt-in); never the
    //   cookie banner, which asks about cookies only and whose key is public.
    // - Third-party marketing and publication: customers only, where they are signed in (settings page, signup form): the
    //   explicit consent the policy asks for (§Utlämning). Not an e-mail link: a forwarded mail or a link scanner could follow it.
    private static readonly ConsentChannel[] CookieChannels = [ConsentChannel.Banner, ConsentChannel.SettingsPage, ConsentChannel.Ops];

    internal static readonly IReadOnlyDictionary<string, ConsentChannel[]> ConsentChannels = new Dictionary<string, ConsentChannel[]>
    {
        ["cookies.necessary"] = CookieChannels,
        ["cookies.preferences"] = CookieChannels,
        ["cookies.statistics"] = CookieChannels,
        ["newsletter"] = [ConsentChannel.SignupForm, ConsentChannel.SettingsPage, ConsentChannel.EmailLink, ConsentChannel.Ops],
        ["third_party_marketing"] = [ConsentChannel.SettingsPage, ConsentChannel.SignupForm, ConsentChannel.Ops],
        ["publication"] = [ConsentChannel.SettingsPage, ConsentChannel.SignupForm, ConsentChannel.Ops],
    };

    // Policy §"Utlämning", items 1–2: who receives what, for which purpose.
    internal static readonly (string Key, string Name, RecipientKind Kind, string Country, string Description)[] Recipients =
    [
        ("card-provider", "Card and communication service provider", RecipientKind.Processor, "SE",
            "Receives data only to fulfil services under the company's agreement with the customer (policy §Utlämning 1)."),
        ("invoicing-partner", "Invoicing partner", RecipientKind.ThirdParty, "SE",
            "Receives data to invoice guide services performed (policy §Utlämning 2)."),
    ];

    internal static readonly (string Purpose, string Recipient, string[] Categories)[] Disclosures =
    [
        ("customer_obligations", "card-provider",
            ["user.name", "user.contact.phone_number", "user.contact.email", "user.payment", "user.financial.credit_card", "user.unique_id"]),
        ("billing", "invoicing-partner",
            ["user.name", "user.contact.phone_number", "user.contact.email", "user.payment", "user.unique_id",
             "user.government_id.national_identification_number", "user.contact.organization", "user.financial.bank_account"]),
    ];

    internal static readonly (string Key, string Name, string[] Categories)[] Systems =
    [
        // The website's accounts and the e-mail system's address book are kept per customer number: it is how the rights-request
        // tasks sent to them (through the egress gate, which sends a system only what it holds) name the customer.
        ("website", "Website and customer accounts",
            ["user.name", "user.unique_id", "user.contact.email", "user.account", "user.demographic.profile", "user.device.ip_address",
             "user.behavior.browsing_history", "user.device.cookie_id"]),
        ("booking", "Booking and customer service",
            ["user.name", "user.contact.phone_number", "user.contact.email", "user.unique_id", "user.payment", "user.content.private"]),
        ("accounting", "Accounting and invoicing",
            ["user.name", "user.unique_id", "user.payment", "user.government_id.national_identification_number",
             "user.contact.organization", "user.financial.bank_account"]),
        ("email", "E-mail and newsletter",
            ["user.name", "user.unique_id", "user.contact.email", "user.content.private"]),
    ];

    public async Task SeedAsync(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var existingCategories = await db.Set<DataCategory>().Select(c => c.Key).ToListAsync(cancellationToken);
        foreach (var (key, name, description) in Categories.Where(c => !existingCategories.Contains(c.Key)))
        {
            var category = new DataCategory { Key = key, Name = name, Description = description, CreatedAt = now, UpdatedAt = now };
            RegistrySeedTexts.Apply(RegistrySeedTexts.Categories, key, category);
            db.Add(category);
            Record("registry.DataCategory", key);
        }

        var existingPurposes = await db.Set<Purpose>().Select(p => p.Key).ToListAsync(cancellationToken);
        foreach (var p in Purposes.Where(p => !existingPurposes.Contains(p.Key)))
        {
            var purpose = new Purpose
            {
                Key = p.Key, Name = p.Name, LegalBasis = p.Basis, DataSubjects = [.. p.Subjects],
                ConsentChannels = [.. ConsentChannels.GetValueOrDefault(p.Key, [])], Retention = p.Retention,
                AlwaysOn = p.Key == "cookies.necessary", LimitedByGpc = p.Key == "third_party_marketing",
                DirectMarketing = DirectMarketingPurposes.Contains(p.Key),
                CreatedAt = now, UpdatedAt = now,
            };
            RegistrySeedTexts.Apply(RegistrySeedTexts.Purposes, p.Key, purpose);
            db.Add(purpose);
            Record("registry.Purpose", p.Key);
        }

        var existingRecipients = await db.Set<Recipient>().Select(r => r.Key).ToListAsync(cancellationToken);
        foreach (var r in Recipients.Where(r => !existingRecipients.Contains(r.Key)))
        {
            var recipient = new Recipient
            {
                Key = r.Key, Name = r.Name, Kind = r.Kind, Country = r.Country, Description = r.Description, CreatedAt = now, UpdatedAt = now,
            };
            RegistrySeedTexts.Apply(RegistrySeedTexts.Recipients, r.Key, recipient);
            db.Add(recipient);
            Record("registry.Recipient", r.Key);
        }

        var existingSystems = await db.Set<InternalSystem>().Select(s => s.Key).ToListAsync(cancellationToken);
        foreach (var s in Systems.Where(s => !existingSystems.Contains(s.Key)))
        {
            var system = new InternalSystem
            {
                Key = s.Key, Name = s.Name, CreatedAt = now, UpdatedAt = now,
                Categories = [.. s.Categories.Select(c => new InternalSystemCategory { SystemKey = s.Key, CategoryKey = c })],
            };
            RegistrySeedTexts.Apply(RegistrySeedTexts.Systems, s.Key, system);
            db.Add(system);
            Record("registry.InternalSystem", s.Key);
        }

        await db.SaveChangesAsync(cancellationToken);

        // Links: internal processing for every purpose's categories, and the disclosures to recipients.
        var existingLinks = (await db.Set<ProcessingLink>()
                .Select(l => new { l.PurposeKey, l.CategoryKey, l.RecipientKey }).ToListAsync(cancellationToken))
            .Select(l => (l.PurposeKey, l.CategoryKey, l.RecipientKey)).ToHashSet();
        var wanted = Purposes.SelectMany(p => p.Categories.Select(c => (p.Key, c, (string?)null)))
            .Concat(Disclosures.SelectMany(d => d.Categories.Select(c => (d.Purpose, c, (string?)d.Recipient))));
        var added = 0;
        foreach (var (purpose, category, recipient) in wanted.Where(w => !existingLinks.Contains(w)))
        {
            db.Add(new ProcessingLink { PurposeKey = purpose, CategoryKey = category, RecipientKey = recipient, CreatedAt = now });
            added++;
        }

        if (added > 0)
        {
            audit.Record("registry.ProcessingLink.seeded", "registry.ProcessingLink", "seed", new { count = added }, Actor.Service);
            await db.SaveChangesAsync(cancellationToken);
        }

        // A partner key bound to a recipient the registry does not have can see nothing: say so at start-up.
        var recipients = await db.Set<Recipient>().Where(r => r.RetiredAt == null).Select(r => r.Key).ToListAsync(cancellationToken);
        foreach (var key in keys.Value.Keys.Where(k => k.Role == Roles.Partner && !recipients.Contains(k.Recipient!)))
        {
            logger.LogWarning("Partner API key {KeyId} is bound to recipient {Recipient}, which is not an active registry recipient",
                key.Id, key.Recipient);
        }
    }

    private void Record(string type, string key) => audit.Record(type + ".seeded", type, key, actor: Actor.Service);
}
