using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Privacy.Api.Requests;

/// <summary>The access report as a readable page in Swedish or English (every value HTML-encoded).</summary>
public static class AccessReportHtml
{
    private static readonly Dictionary<string, (string Sv, string En)> Labels = new()
    {
        ["title"] = ("Registerutdrag", "Access report"),
        ["intro"] = ("Så här behandlar {0} dina personuppgifter. Utdraget gäller kundnummer {1} och togs fram {2}.",
                     "How {0} processes your personal data. This report covers customer number {1} and was produced on {2}."),
        ["purposes"] = ("Ändamål och rättslig grund", "Purposes and legal basis"),
        ["categories"] = ("Kategorier av uppgifter och hur länge de sparas", "Categories of data and how long they are kept"),
        ["recipients"] = ("Mottagare som fått dina uppgifter", "Recipients your data was disclosed to"),
        ["noRecipients"] = ("Inga uppgifter om dig har lämnats ut.", "No data about you has been disclosed."),
        ["period"] = ("{0} gånger, {1}–{2}", "{0} times, {1} to {2}"),
        ["source"] = ("Varifrån uppgifterna kommer", "Where the data comes from"),
        ["retention"] = ("Hur länge uppgifterna sparas", "How long the data is kept"),
        ["kept"] = ("sparas så länge ändamålet består", "kept while the purpose lasts"),
        ["consent"] = ("Dina samtycken", "Your consents"),
        ["noConsent"] = ("Inga samtycken har registrerats.", "No consents have been recorded."),
        ["rights"] = ("Dina rättigheter", "Your rights"),
        ["complaint"] = ("Du har rätt att klaga till tillsynsmyndigheten: {0}, {1}, {2}.",
                         "You have the right to complain to the supervisory authority: {0}, {1}, {2}."),
        ["contact"] = ("Personuppgiftsansvarig: {0}, {1}, {2}.", "Controller: {0}, {1}, {2}."),
    };

    private const string Style = "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;" +
                                 "line-height:1.5}table{border-collapse:collapse;width:100%}th,td{text-align:left;border-bottom:1px solid #ccc;" +
                                 "padding:.3rem .5rem;vertical-align:top}</style>";

    public static string Render(AccessReport report)
    {
        var sv = report.Language == "sv";
        string L(string key) => sv ? Labels[key].Sv : Labels[key].En;
        string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");
        string D(DateTimeOffset at) => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="{(sv ? "sv" : "en")}"><head><meta charset="utf-8"><title>{E(L("title"))}</title>
            {Style}
            </head><body><main>
            <h1>{E(L("title"))}</h1>
            <p>{E(string.Format(CultureInfo.InvariantCulture, L("intro"), report.Controller.Name, string.Join(", ", report.CustomerNumbers), D(report.GeneratedAt)))}</p>
            """);
        html.Append(CultureInfo.InvariantCulture, $"<h2>{E(L("purposes"))}</h2><table>");
        foreach (var p in report.Purposes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(p.Name)}</th><td>{E(p.LegalBasis.ToString())}</td><td>{E(string.Join(", ", p.Categories))}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><h2>{E(L("categories"))}</h2><table>");
        foreach (var c in report.Categories)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(c.Name)}</th><td>{E(string.Join("; ", c.Retention))}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><h2>{E(L("retention"))}</h2><table>");
        foreach (var c in report.RetentionSchedules.SelectMany(s => s.Categories).Where(c => c.State != Retention.CategoryState.NotApplicable))
        {
            var name = report.Categories.FirstOrDefault(x => x.Key == c.Category)?.Name ?? c.Category;
            html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(name)}</th><td>{E(c.EndsAt is { } ends ? D(ends) : L("kept"))}</td><td>{E(c.Why)}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><h2>{E(L("recipients"))}</h2>");
        if (report.Recipients.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(L("noRecipients"))}</p>");
        }
        else
        {
            html.Append("<table>");
            foreach (var r in report.Recipients)
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(r.Name)}</th><td>{E(string.Join(", ", r.Categories))}</td><td>{E(string.Format(CultureInfo.InvariantCulture, L("period"), r.Disclosures, D(r.FirstDisclosedAt), D(r.LastDisclosedAt)))}</td></tr>");
            }

            html.Append("</table>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<h2>{E(L("source"))}</h2><p>{E(report.Source)}</p><h2>{E(L("consent"))}</h2>");
        if (report.ConsentHistory.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(L("noConsent"))}</p>");
        }
        else
        {
            html.Append("<ul>");
            foreach (var e in report.ConsentHistory)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(D(e.OccurredAt))}: {E(string.Join(", ", e.Choices.Select(c => $"{c.Purpose}: {c.Recorded.ToString().ToLowerInvariant()}")))}</li>");
            }

            html.Append("</ul>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<h2>{E(L("rights"))}</h2><ul>");
        foreach (var right in report.Rights)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><strong>{E(right.Right)}</strong> ({E(right.Article)}): {E(right.Description)}</li>");
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            </ul>
            <p>{E(string.Format(CultureInfo.InvariantCulture, L("complaint"), report.Complaints.Name, report.Complaints.Website, report.Complaints.Address))}</p>
            <p>{E(string.Format(CultureInfo.InvariantCulture, L("contact"), report.Controller.Name, report.Controller.Address, report.Controller.Email))}</p>
            </main></body></html>
            """);
        return html.ToString();
    }
}
