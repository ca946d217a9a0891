using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>What a person reads in the privacy center, in Swedish and English: each right with its article, and each state of a request.</summary>
public static class PrivacyCenterTexts
{
    /// <summary>The choice of withdrawing a consent: an objection to a purpose resting on consent, which works as its withdrawal (Art 7(3), 21(3)).</summary>
    public const string WithdrawConsent = "withdraw_consent";

    /// <summary>The rights in the order the page offers them, each with its name and what it does, in <paramref name="language"/>.</summary>
    public static IReadOnlyList<RightText> Rights(string language) =>
    [
        .. Enum.GetValues<RequestType>().Select(t => Right(t, language)),
        language == "sv"
            ? new RightText(WithdrawConsent, "Återkalla ett samtycke", "Artikel 7.3", "Vi slutar med det du har samtyckt till, till exempel nyhetsbrevet.")
            : new RightText(WithdrawConsent, "Withdraw a consent", "Article 7(3)", "We stop what you consented to, for example the newsletter."),
    ];

    public static RightText Right(RequestType type, string language)
    {
        var key = System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(type.ToString());
        var sv = language == "sv";
        return type switch
        {
            RequestType.Access => sv
                ? new(key, "Få veta vilka uppgifter vi har om dig", "Artikel 15", "Ett registerutdrag: vad vi behandlar, varför, hur länge och vem vi har lämnat det till.")
                : new(key, "Find out what data we hold about you", "Article 15", "An access report: what we process, why, for how long and who we gave it to."),
            RequestType.Rectification => sv
                ? new(key, "Rätta felaktiga uppgifter", "Artikel 16", "Vi rättar en uppgift som är fel, och talar om det för dem vi har lämnat den till.")
                : new(key, "Correct inaccurate data", "Article 16", "We correct data that is wrong, and tell those we gave it to."),
            RequestType.Erasure => sv
                ? new(key, "Radera dina uppgifter", "Artikel 17", "Vi raderar det vi inte måste spara enligt lag, och ber mottagarna göra detsamma.")
                : new(key, "Erase your data", "Article 17", "We erase what the law does not require us to keep, and ask the recipients to do the same."),
            RequestType.Anonymisation => sv
                ? new(key, "Avidentifiera dina uppgifter", "Artikel 17", "Vi behåller uppgifterna bara i en form som inte längre pekar ut dig.")
                : new(key, "Anonymise your data", "Article 17", "We keep the data only in a form that no longer identifies you."),
            RequestType.Completion => sv
                ? new(key, "Komplettera ofullständiga uppgifter", "Artikel 16", "Vi lägger till det som saknas.")
                : new(key, "Complete incomplete data", "Article 16", "We add what is missing."),
            RequestType.Restriction => sv
                ? new(key, "Begränsa behandlingen", "Artikel 18", "Vi sparar uppgifterna men använder dem inte till något annat.")
                : new(key, "Restrict the processing", "Article 18", "We keep the data but use it for nothing else."),
            RequestType.Portability => sv
                ? new(key, "Få ut dina uppgifter (dataportabilitet)", "Artikel 20", "De uppgifter du har lämnat, i ett maskinläsbart format (JSON).")
                : new(key, "Take your data with you (portability)", "Article 20", "The data you gave us, machine-readable (JSON)."),
            _ => sv
                ? new(key, "Invända mot en behandling", "Artikel 21", "Vi slutar behandla dina uppgifter för ett ändamål, till exempel direktmarknadsföring.")
                : new(key, "Object to a processing", "Article 21", "We stop processing your data for a purpose, for example direct marketing."),
        };
    }

    /// <summary>Where a request stands, as the person reads it. Only what they gave decides it, never what the service holds.</summary>
    public static string State(RightsRequest request, bool waitingForOps, string language)
    {
        var sv = language == "sv";
        var closed = request.ClosedAt is { } at ? RequestDeadlines.SwedishDay(at).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) : "";
        return request.Status switch
        {
            RequestStatus.Received when waitingForOps => sv
                ? "Mottagen. Din e-postadress är bekräftad. Vi kontrollerar de andra uppgifterna du lämnade innan vi börjar; vi hör av oss om vi behöver mer."
                : "Received. Your e-mail address is confirmed. We are checking the other details you gave before we start; we will be in touch if we need more.",
            RequestStatus.Received => sv ? "Väntar på att du bekräftar din e-postadress med koden." : "Waiting for you to confirm your e-mail address with the code.",
            RequestStatus.IdentityVerified or RequestStatus.InProgress => sv
                ? "Pågår: de system och mottagare som har dina uppgifter handlägger begäran."
                : "In progress: the systems and recipients that hold your data are handling the request.",
            RequestStatus.Completed => sv ? $"Klar {closed}." : $"Completed on {closed}.",
            RequestStatus.PartiallyCompleted => sv ? $"Delvis klar {closed}." : $"Completed in part on {closed}.",
            _ => sv ? $"Avslutad utan åtgärd {closed}." : $"Closed without action on {closed}.",
        };
    }
}

/// <summary>A right as the privacy center offers it.</summary>
/// <param name="Key">The request type's wire name (e.g. <c>access</c>), or <c>withdraw_consent</c>.</param>
public sealed record RightText(string Key, string Name, string Article, string Description);
