namespace Privacy.Api.Banner;

/// <summary>
/// How the banner names the cookie purposes in Swedish and English (policy §"Cookies"); any other purpose is shown with the
/// registry's own name and description.
/// </summary>
internal static class BannerTexts
{
    private static readonly Dictionary<(string Purpose, string Language), (string Name, string Description)> Texts = new()
    {
        [("cookies.necessary", "sv")] = ("Nödvändiga kakor",
            "Behövs för att webbplatsen ska fungera: inloggning, varukorg och att komma ihåg ditt val här."),
        [("cookies.necessary", "en")] = ("Strictly necessary cookies",
            "Needed for the website to work: signing in, the basket and remembering your choice here."),
        [("cookies.preferences", "sv")] = ("Inställningar",
            "Kommer ihåg dina inställningar, till exempel språk, mellan besöken."),
        [("cookies.preferences", "en")] = ("Preferences",
            "Remember your settings, such as language, between visits."),
        [("cookies.statistics", "sv")] = ("Statistik",
            "Hjälper oss att förstå hur webbplatsen används så att vi kan göra den bättre."),
        [("cookies.statistics", "en")] = ("Statistics",
            "Help us understand how the website is used so that we can improve it."),
    };

    public static (string Name, string Description) Describe(string purpose, string language, string registryName, string? registryDescription) =>
        Texts.TryGetValue((purpose, language), out var text) ? text : (registryName, registryDescription ?? registryName);
}
