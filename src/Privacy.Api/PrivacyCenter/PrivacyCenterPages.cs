using System.Globalization;
using System.Text.Encodings.Web;

namespace Privacy.Api.PrivacyCenter;

/// <summary>The privacy center's server-rendered pages: the shell the form script fills, and a request's status page.</summary>
public static class PrivacyCenterPages
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);

    /// <summary>The page at <c>/privacy-center</c>: the form is the script's (the same script runs embedded on the website's pages).</summary>
    public static string Shell(string basePath, string language, string? request)
    {
        var sv = language == "sv";
        var title = sv ? "Dina rättigheter" : "Your privacy rights";
        var noScript = sv
            ? "Sidan behöver JavaScript. Du kan också skriva till hello@smultronsites.com för att använda dina rättigheter."
            : "This page needs JavaScript. You can also write to hello@smultronsites.com to use your rights.";
        return $"""
            <!doctype html>
            <html lang="{language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} – Smultronsites</title><link rel="stylesheet" href="{E(basePath)}/privacy-center.css"></head>
            <body class="spc-page"><main class="spc-main" id="privacy-center" data-lang="{language}" data-base="{E(basePath)}"{(request is null ? "" : $" data-request=\"{E(request)}\"")}>
            <h1>{E(title)}</h1><noscript><p class="spc-lead">{E(noScript)}</p></noscript>
            </main><script src="{E(basePath)}/privacy-center.js" data-target="#privacy-center" data-lang="{language}" defer></script></body></html>
            """;
    }

    /// <summary>A request's status page, in the status's language.</summary>
    public static string Status(PrivacyCenterStatus status, string token)
    {
        var sv = status.Language == "sv";
        string D(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var title = sv ? "Din begäran" : "Your request";
        var facts = new List<(string, string)>
        {
            (sv ? "Begäran" : "Request", status.TypeName),
            (sv ? "Referens" : "Reference", status.RequestId.ToString()),
            (sv ? "Mottagen" : "Received", D(Requests.RequestDeadlines.SwedishDay(status.ReceivedAt))),
            (sv ? "Svar senast" : "Answer due by", D(status.ExtendedDueDate ?? status.DueDate)),
        };
        if (status.ExtendedDueDate is not null)
        {
            facts.Add((sv ? "Förlängd" : "Extended",
                sv ? $"från {D(status.DueDate)}, eftersom: {status.ExtensionReason}" : $"from {D(status.DueDate)}, because: {status.ExtensionReason}"));
        }

        var downloads = "";
        if (status.ReportUrl is not null || status.ExportUrl is not null)
        {
            var until = D(Requests.RequestDeadlines.SwedishDay(status.DownloadableUntil!.Value));
            var (href, label) = status.ReportUrl is not null
                ? (status.ReportUrl, sv ? "Ladda ner ditt registerutdrag (HTML)" : "Download your access report (HTML)")
                : (status.ExportUrl!, sv ? "Ladda ner dina uppgifter (JSON)" : "Download your data (JSON)");
            downloads = $"""
                <h2>{E(sv ? "Ditt svar" : "Your answer")}</h2>
                <p class="spc-note">{E(sv ? $"Kan laddas ner till och med {until}." : $"Can be downloaded until {until}.")}</p>
                <p><a class="spc-button" id="spc-download" href="{E(href)}" download>{E(label)}</a></p>
                """;
        }

        var other = sv ? "en" : "sv";
        return $"""
            <!doctype html>
            <html lang="{status.Language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer"><title>{E(title)} – Smultronsites</title>
            <link rel="stylesheet" href="../privacy-center.css"></head>
            <body class="spc-page"><main class="spc-main">
            <p class="spc-languages"><a href="{E(token)}?lang={other}" lang="{other}" hreflang="{other}">{(sv ? "In English" : "På svenska")}</a></p>
            <h1>{E(title)}</h1>
            <p class="spc-state" id="spc-state">{E(status.State)}</p>
            <dl class="spc-facts">{string.Concat(facts.Select(f => $"<dt>{E(f.Item1)}</dt><dd>{E(f.Item2)}</dd>"))}</dl>
            {(status.Outcome is null ? "" : $"<h2>{E(sv ? "Beslut" : "Decision")}</h2><p id=\"spc-outcome\">{E(status.Outcome)}</p>")}
            {downloads}
            <p class="spc-note">{E(sv
                ? "Den här sidan öppnas bara med länken i våra e-postmeddelanden. Dela inte länken. Frågor: hello@smultronsites.com."
                : "This page opens only with the link in our e-mails. Do not share the link. Questions: hello@smultronsites.com.")}</p>
            </main></body></html>
            """;
    }

    private static string E(string? text) => Encoder.Encode(text ?? "");
}
