namespace Privacy.Api.Registry;

/// <summary>
/// The seeded entries as a person reads them, in Swedish (following the wording of the policy of 2022-02-08) and in English.
/// The seed writes them with the entries; the RegistryTexts migration gives them to databases seeded before.
/// </summary>
internal static class RegistrySeedTexts
{
    internal readonly record struct Texts(string NameSv, string NameEn, string DescriptionSv, string DescriptionEn);

    // Policy §"Insamling", items 1–9, and the consent state.
    internal static readonly IReadOnlyDictionary<string, Texts> Categories = new Dictionary<string, Texts>
    {
        ["user.name"] = new("Namn", "Name", "Ditt för- och efternamn.", "Your first name and surname."),
        ["user.contact.phone_number"] = new("Telefonnummer", "Phone number",
            "Det telefonnummer du har lämnat till oss.", "The phone number you gave us."),
        ["user.contact.email"] = new("E-postadress", "E-mail address",
            "Den e-postadress du har lämnat till oss.", "The e-mail address you gave us."),
        ["user.payment"] = new("Betalningsuppgifter", "Payment details",
            "Uppgifter om dina betalningar, kontoutdrag, fakturor och betalningspåminnelser.",
            "Your payments, statements, invoices and payment reminders."),
        ["user.financial.credit_card"] = new("Kortuppgifter", "Card details",
            "Uppgifter om ditt betalkort. De hanteras av vår leverantör av kort- och kommunikationstjänster.",
            "Details of your payment card. They are handled by our card and communication service provider."),
        ["user.unique_id"] = new("Kundnummer", "Customer number",
            "Numret som vi känner igen dig med som kund.", "The number that identifies you as our customer."),
        ["user.government_id.national_identification_number"] = new("Personnummer", "Personal identity number",
            "Ditt personnummer eller samordningsnummer. Har du enskild firma är organisationsnumret detsamma som ditt personnummer.",
            "Your Swedish personal identity number or coordination number. For a sole trader the organisation number is the same as the personal identity number."),
        ["user.contact.organization"] = new("Organisationsnummer", "Organisation number",
            "Organisationsnumret för ditt företag.", "Your company's organisation number."),
        ["user.financial.bank_account"] = new("Kontonummer", "Account number",
            "Det bankkonto som du betalar från eller får pengar till.", "The bank account you pay from or receive money to."),
        ["user.device.ip_address"] = new("IP-adress", "IP address",
            "Adressen som din dator eller telefon har på internet när du besöker vår webbplats.",
            "The address your computer or phone has on the internet when you visit our website."),
        ["user.behavior.browsing_history"] = new("Hur du använder webbplatsen", "How you use the website",
            "Information om din användning av vår webbplats, till exempel vilka sidor du besöker.",
            "Information about your use of our website, for example which pages you visit."),
        ["user.device.cookie_id"] = new("Identitet i kakor", "Cookie identifier",
            "Det som identifierar din webbläsare i våra kakor (cookies): sessionskakor, som försvinner när webbläsaren stängs, och " +
            "permanenta kakor, som försvinner när giltighetstiden har gått ut.",
            "What identifies your browser in our cookies: session cookies, which go when the browser is closed, and persistent cookies, " +
            "which go when they expire."),
        ["user.account"] = new("Användarkonto", "User account",
            "Kontot som du har skapat på vår webbplats.", "The account you created on our website."),
        ["user.demographic.profile"] = new("Profiluppgifter", "Profile information",
            "Information som du anger när du skapar en profil på vår webbplats.",
            "Information you enter when you create a profile on our website."),
        ["user.content.private"] = new("Meddelanden till oss", "Messages to us",
            "Information i all kommunikation som du skickar till oss via e-post eller vår webbplats.",
            "Information in any communication you send us by e-mail or through our website."),
        ["user.privacy_preferences"] = new("Samtycken och val om integritet", "Consents and privacy choices",
            "Vilka samtycken du har gett eller återkallat, och när.", "Which consents you have given or withdrawn, and when."),
    };

    // Policy §"Användning", items 1–7, publication, §"Cookies", and the privacy service's own processing.
    internal static readonly IReadOnlyDictionary<string, Texts> Purposes = new Dictionary<string, Texts>
    {
        ["cookies.necessary"] = new("Nödvändiga kakor", "Strictly necessary cookies",
            "Sessionskakor, inloggning och den kaka som minns ditt val om kakor. Utan dem fungerar inte webbplatsen.",
            "Session cookies, signing in and the cookie that remembers your choice about cookies. The website does not work without them."),
        ["cookies.preferences"] = new("Kakor för inställningar", "Preference cookies",
            "Kakor som sparar dina inställningar på webbplatsen.", "Cookies that remember your settings on the website."),
        ["cookies.statistics"] = new("Kakor för statistik", "Statistics cookies",
            "Kakor som används för att föra statistik över hur webbplatsen används, så att vi kan förbättra den.",
            "Cookies used to keep statistics on how the website is used, so that we can improve it."),
        ["third_party_marketing"] = new("Utlämning till tredje part för deras direkta marknadsföring", "Disclosure to third parties for their direct marketing",
            "Vi lämnar bara ut dina uppgifter för någon annans direkta marknadsföring om du uttryckligen har samtyckt till det.",
            "We only give your data to others for their direct marketing if you have explicitly consented to it."),
        ["customer_obligations"] = new("Att fullfölja våra förpliktelser gentemot dig som kund", "Fulfilling our obligations to you as a customer",
            "Till exempel att genomföra din beställning, ta emot betalning och ge dig support.",
            "For example carrying out your order, taking payment and giving you support."),
        ["website_services"] = new("Att du ska kunna använda tjänsterna på vår webbplats", "Letting you use the services on our website",
            "Ditt konto, din profil och det som behövs för att webbplatsen ska fungera för dig.",
            "Your account, your profile and what the website needs to work for you."),
        ["billing"] = new("Betalningar, kontoutdrag, fakturor och påminnelser", "Payments, statements, invoices and reminders",
            "Att samla in betalningar från dig och skicka kontoutdrag, fakturor och betalningspåminnelser.",
            "Collecting payments from you and sending you statements, invoices and payment reminders."),
        ["requested_emails"] = new("E-post som du har bett om", "E-mails you asked for",
            "Att skicka e-postmeddelanden som du specifikt har begärt.", "Sending you e-mails you have specifically asked for."),
        ["newsletter"] = new("Nyhetsbrev", "Newsletter",
            "Att skicka vårt nyhetsbrev via e-post till dig om du har begärt det. Du kan när som helst säga att du inte längre vill ha det.",
            "Sending you our newsletter by e-mail if you asked for it. You can tell us at any time that you no longer want it."),
        ["anonymous_statistics"] = new("Statistik till tredje parter", "Statistics for third parties",
            "Att ge tredje parter statistik om våra användare. De kan inte identifiera dig utifrån statistiken.",
            "Giving third parties statistics about our users. They cannot identify you from the statistics."),
        ["legal_compliance"] = new("Att följa lagen, till exempel bokföringslagen", "Complying with the law, for example the Bookkeeping Act",
            "Vi måste spara räkenskapsinformation, som fakturor och betalningar, så länge bokföringslagen kräver.",
            "We must keep accounting records, such as invoices and payments, as long as the Swedish Bookkeeping Act requires."),
        ["publication"] = new("Publicering av det du skickar in", "Publishing what you submit",
            "Om du skickar in information för publicering på vår webbplats publicerar och använder vi den i enlighet med det tillstånd du ger oss.",
            "If you submit information for publication on our website, we publish and use it as far as your permission allows."),
        ["consent_proof"] = new("Bevis om samtycke", "Proof of consent",
            "Att kunna visa att och hur du gav ett samtycke.", "Being able to show that and how you gave a consent."),
        ["rights_request_records"] = new("Hantering av dina begäranden", "Handling your requests",
            "Att hantera det du begär enligt dataskyddsförordningen och kunna visa hur vi gjorde det.",
            "Handling what you ask for under the GDPR and being able to show how we did it."),
        ["notification_delivery"] = new("Besked till mottagare om ändringar", "Telling recipients about changes",
            "Att tala om för mottagare och för våra egna system vad de ska rätta, radera eller begränsa.",
            "Telling recipients and our own systems what they must correct, erase or restrict."),
        ["request_deduplication"] = new("Att en begäran inte utförs två gånger", "Not carrying out a request twice",
            "Att en begäran som skickas igen bara besvaras en gång.", "Answering a request that is sent again only once."),
        ["disclosure_records"] = new("Logg över vad vi lämnat ut", "The log of what we disclosed",
            "Att kunna visa vad vi lämnat ut till vilken mottagare och nå dem med senare ändringar.",
            "Being able to show what we gave to which recipient, and reaching them with later changes."),
        ["follow_up_records"] = new("Besked vi gett mottagare", "What we told recipients",
            "Att kunna visa att varje mottagare fick veta om en rättelse, radering, begränsning eller ett återkallat samtycke, och vad den svarade.",
            "Being able to show that each recipient was told of a rectification, erasure, restriction or withdrawal, and what it answered."),
        ["retention_records"] = new("Bevarandetider för dina uppgifter", "How long your data is kept",
            "Att hålla reda på när dina uppgifter ska raderas, och på rättsliga spärrar, tills sista tiden löpt ut.",
            "Keeping track of when your data is to be erased, and of legal holds, until the last period has run."),
    };

    // Policy §"Utlämning", items 1–2.
    internal static readonly IReadOnlyDictionary<string, Texts> Recipients = new Dictionary<string, Texts>
    {
        ["card-provider"] = new("Vår leverantör av kort- och kommunikationstjänster", "Our card and communication service provider",
            "Får uppgifter endast i syfte att fullfölja tjänster i anknytning till vårt avtal med dig.",
            "Receives data only to carry out services connected with our agreement with you."),
        ["invoicing-partner"] = new("Vår samarbetspartner för fakturering", "Our invoicing partner",
            "Får uppgifter för fakturering i samband med utförda guidetjänster.", "Receives data to invoice guide services performed."),
    };

    internal static readonly IReadOnlyDictionary<string, Texts> Systems = new Dictionary<string, Texts>
    {
        ["website"] = new("Webbplatsen och kundkonton", "The website and customer accounts",
            "Ditt konto och din profil på webbplatsen, och hur du använder den.", "Your account and profile on the website, and how you use it."),
        ["booking"] = new("Bokning och kundtjänst", "Bookings and customer service",
            "Dina bokningar, betalningar och ärenden hos kundtjänst.", "Your bookings, payments and customer service cases."),
        ["accounting"] = new("Bokföring och fakturering", "Accounting and invoicing",
            "Fakturor, betalningar och annan räkenskapsinformation.", "Invoices, payments and other accounting records."),
        ["email"] = new("E-post och nyhetsbrev", "E-mail and newsletter",
            "E-post som du har skickat till oss eller fått från oss.", "E-mail you sent us or received from us."),
    };

    /// <summary>Copies <paramref name="key"/>'s texts, if it has seeded ones, onto <paramref name="entry"/>.</summary>
    internal static void Apply(IReadOnlyDictionary<string, Texts> texts, string key, RegistryEntry entry)
    {
        if (texts.TryGetValue(key, out var t))
        {
            (entry.NameSv, entry.NameEn, entry.DescriptionSv, entry.DescriptionEn) = (t.NameSv, t.NameEn, t.DescriptionSv, t.DescriptionEn);
        }
    }
}
