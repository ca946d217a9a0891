namespace Privacy.Api.Registry;

/// <summary>
/// A registry entry as a person reads it (Art 12(1): concise, intelligible, clear and plain language): its name and
/// description in the language asked for, falling back to the entry's <see cref="Name"/> where no translation was given.
/// </summary>
public sealed record EntryText(string Key, string Name, string? NameSv, string? NameEn, string? DescriptionSv, string? DescriptionEn)
{
    public string NameIn(string language) => (language == "sv" ? NameSv : NameEn) ?? Name;

    public string? DescriptionIn(string language) => language == "sv" ? DescriptionSv : DescriptionEn;
}

/// <summary>The texts every kind of registry entry has for a person, and the texts of the fixed enums, in one place.</summary>
public static class RegistryTexts
{
    /// <summary>The translations an entry lacks, by field name (<c>nameSv</c>, <c>nameEn</c>, <c>descriptionSv</c>, <c>descriptionEn</c>).</summary>
    public static List<string> Missing(string? nameSv, string? nameEn, string? descriptionSv, string? descriptionEn)
    {
        var missing = new List<string>(4);
        if (nameSv is null)
        {
            missing.Add("nameSv");
        }

        if (nameEn is null)
        {
            missing.Add("nameEn");
        }

        if (descriptionSv is null)
        {
            missing.Add("descriptionSv");
        }

        if (descriptionEn is null)
        {
            missing.Add("descriptionEn");
        }

        return missing;
    }

    /// <summary>The Art 6(1) legal basis in plain words: a short name and what it means for the person.</summary>
    public static (string Name, string Description) Of(LegalBasis basis, string language) => (basis, language == "sv") switch
    {
        (LegalBasis.Consent, true) => ("Samtycke",
            "Du har gett ditt samtycke (artikel 6.1 a i dataskyddsförordningen). Du kan när som helst återkalla det."),
        (LegalBasis.Consent, false) => ("Your consent",
            "You have given your consent (Article 6(1)(a) of the GDPR). You can withdraw it at any time."),
        (LegalBasis.Contract, true) => ("Avtal",
            "Behandlingen behövs för att fullgöra vårt avtal med dig, eller för att göra det du bett om innan avtalet ingås (artikel 6.1 b)."),
        (LegalBasis.Contract, false) => ("Contract with you",
            "The processing is needed to perform our contract with you, or to do what you asked for before entering into it (Article 6(1)(b))."),
        (LegalBasis.LegalObligation, true) => ("Rättslig förpliktelse",
            "Behandlingen behövs för att vi ska uppfylla en skyldighet enligt lag, till exempel bokföringslagen (artikel 6.1 c)."),
        (LegalBasis.LegalObligation, false) => ("Legal obligation",
            "The processing is needed for us to comply with a legal obligation, for example the Swedish Bookkeeping Act (Article 6(1)(c))."),
        (LegalBasis.VitalInterests, true) => ("Grundläggande intressen",
            "Behandlingen behövs för att skydda ditt eller någon annans liv eller hälsa (artikel 6.1 d)."),
        (LegalBasis.VitalInterests, false) => ("Vital interests",
            "The processing is needed to protect your life or health, or someone else's (Article 6(1)(d))."),
        (LegalBasis.PublicTask, true) => ("Uppgift av allmänt intresse",
            "Behandlingen behövs för att utföra en uppgift av allmänt intresse (artikel 6.1 e)."),
        (LegalBasis.PublicTask, false) => ("Task in the public interest",
            "The processing is needed to perform a task carried out in the public interest (Article 6(1)(e))."),
        (LegalBasis.LegitimateInterests, true) => ("Berättigat intresse",
            "Behandlingen behövs för ett berättigat intresse hos oss som väger tyngre än ditt intresse av att uppgifterna inte behandlas " +
            "(artikel 6.1 f). Du har rätt att invända."),
        (_, _) => ("Legitimate interests",
            "The processing is needed for a legitimate interest of ours that outweighs your interest in the data not being processed " +
            "(Article 6(1)(f)). You have the right to object."),
    };

    /// <summary>What kind of recipient it is, in plain words.</summary>
    public static string Of(RecipientKind kind, string language) => (kind, language == "sv") switch
    {
        (RecipientKind.Processor, true) => "Personuppgiftsbiträde: behandlar uppgifterna för vår räkning och enligt våra instruktioner",
        (RecipientKind.Processor, false) => "Processor: processes the data on our behalf and on our instructions",
        (RecipientKind.ThirdParty, true) => "Självständigt personuppgiftsansvarig: bestämmer själv hur uppgifterna används",
        (RecipientKind.ThirdParty, false) => "Independent controller: decides itself how the data is used",
        (RecipientKind.PublicAuthority, true) => "Myndighet",
        (_, _) => "Public authority",
    };

    /// <summary>A country's name (ISO 3166-1 alpha-2 code) in Swedish or English; the code where the name is not known here.</summary>
    public static string Country(string code, string language) =>
        CountryNames.TryGetValue(code, out var names) ? (language == "sv" ? names.Sv : names.En) : code;

    // The EU/EEA and the countries a transfer most often goes to (the service runs with invariant globalization: no ICU names).
    private static readonly Dictionary<string, (string Sv, string En)> CountryNames = new()
    {
        ["AT"] = ("Österrike", "Austria"), ["BE"] = ("Belgien", "Belgium"), ["BG"] = ("Bulgarien", "Bulgaria"), ["HR"] = ("Kroatien", "Croatia"),
        ["CY"] = ("Cypern", "Cyprus"), ["CZ"] = ("Tjeckien", "Czechia"), ["DK"] = ("Danmark", "Denmark"), ["EE"] = ("Estland", "Estonia"),
        ["FI"] = ("Finland", "Finland"), ["FR"] = ("Frankrike", "France"), ["DE"] = ("Tyskland", "Germany"), ["GR"] = ("Grekland", "Greece"),
        ["HU"] = ("Ungern", "Hungary"), ["IE"] = ("Irland", "Ireland"), ["IT"] = ("Italien", "Italy"), ["LV"] = ("Lettland", "Latvia"),
        ["LT"] = ("Litauen", "Lithuania"), ["LU"] = ("Luxemburg", "Luxembourg"), ["MT"] = ("Malta", "Malta"), ["NL"] = ("Nederländerna", "Netherlands"),
        ["PL"] = ("Polen", "Poland"), ["PT"] = ("Portugal", "Portugal"), ["RO"] = ("Rumänien", "Romania"), ["SK"] = ("Slovakien", "Slovakia"),
        ["SI"] = ("Slovenien", "Slovenia"), ["ES"] = ("Spanien", "Spain"), ["SE"] = ("Sverige", "Sweden"), ["IS"] = ("Island", "Iceland"),
        ["LI"] = ("Liechtenstein", "Liechtenstein"), ["NO"] = ("Norge", "Norway"), ["GB"] = ("Storbritannien", "United Kingdom"),
        ["CH"] = ("Schweiz", "Switzerland"), ["US"] = ("USA", "United States"), ["CA"] = ("Kanada", "Canada"), ["AU"] = ("Australien", "Australia"),
        ["NZ"] = ("Nya Zeeland", "New Zealand"), ["JP"] = ("Japan", "Japan"), ["KR"] = ("Sydkorea", "South Korea"), ["IN"] = ("Indien", "India"),
        ["CN"] = ("Kina", "China"), ["SG"] = ("Singapore", "Singapore"), ["IL"] = ("Israel", "Israel"), ["BR"] = ("Brasilien", "Brazil"),
        ["AR"] = ("Argentina", "Argentina"), ["UY"] = ("Uruguay", "Uruguay"),
    };
}
