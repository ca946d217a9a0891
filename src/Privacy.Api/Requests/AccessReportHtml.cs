using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Privacy.Api.Requests;

/// <summary>
/// The access report as a page a person reads and prints, in Swedish or English (Art 12(1)): names and plain words only, never a
/// registry key, enum name or ISO period; every value HTML-encoded. Meets WCAG 2.1 AA (landmarks, headings in order, table
/// headers, contrast); printed, it drops the navigation and button and is black on white.
/// </summary>
public static class AccessReportHtml
{
    // Swedish letters as they are, not as character references: the page is UTF-8 and its source stays readable.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    private static readonly Dictionary<string, (string Sv, string En)> Labels = new()
    {
        ["title"] = ("Registerutdrag", "Access report"),
        ["intro"] = ("Så här behandlar {0} dina personuppgifter. Det här är ditt registerutdrag enligt artikel 15 i dataskyddsförordningen. " +
                     "Det gäller kundnummer {1} och togs fram {2}.",
                     "How {0} processes your personal data. This is your access report under Article 15 of the GDPR. It covers customer " +
                     "number {1} and was produced on {2}."),
        ["contents"] = ("Innehåll", "Contents"),
        ["print"] = ("Skriv ut", "Print"),
        ["purposes"] = ("Varför vi behandlar dina uppgifter", "Why we process your data"),
        ["purpose"] = ("Ändamål", "Purpose"),
        ["basis"] = ("Rättslig grund", "Legal basis"),
        ["data"] = ("Uppgifter", "Data"),
        ["noPurposes"] = ("Vi behandlar inga uppgifter om dig utöver det som står under Vår egen hantering nedan.",
                          "We process no data about you beyond what is described under Our own processing below."),
        ["categories"] = ("Vilka uppgifter vi har om dig", "Which data we hold about you"),
        ["category"] = ("Uppgift", "Data"),
        ["what"] = ("Vad det är", "What it is"),
        ["why"] = ("Används för", "Used for"),
        ["recipients"] = ("Vilka som har fått dina uppgifter", "Who has received your data"),
        ["recipient"] = ("Mottagare", "Recipient"),
        ["country"] = ("Land", "Country"),
        ["when"] = ("När", "When"),
        ["eea"] = ("inom EU/EES", "in the EU/EEA"),
        ["outsideEea"] = ("utanför EU/EES", "outside the EU/EEA"),
        ["noRecipients"] = ("Inga uppgifter om dig har lämnats ut.", "No data about you has been disclosed."),
        ["period"] = ("{0} gånger, {1}–{2}", "{0} times, {1} to {2}"),
        ["once"] = ("en gång, {0}", "once, on {0}"),
        ["retention"] = ("Hur länge uppgifterna sparas", "How long the data is kept"),
        ["howLong"] = ("Hur länge", "How long"),
        ["source"] = ("Varifrån uppgifterna kommer", "Where the data comes from"),
        ["automated"] = ("Automatiserade beslut", "Automated decisions"),
        ["copy"] = ("Kopia av dina uppgifter", "A copy of your data"),
        ["copyIntro"] = ("Här är de uppgifter om dig som finns i våra system (artikel 15.3).",
                         "This is the data about you held in our systems (Article 15(3))."),
        ["noSystems"] = ("Inga system har uppgifter om dig.", "No system holds data about you."),
        ["consent"] = ("Dina samtycken", "Your consents"),
        ["noConsent"] = ("Inga samtycken har registrerats.", "No consents have been recorded."),
        ["own"] = ("Vår egen hantering av uppgifter om dig", "Our own processing of data about you"),
        ["rights"] = ("Dina rättigheter", "Your rights"),
        ["howTo"] = ("Vill du använda någon av dina rättigheter? Kontakta oss på {0}. Det kostar ingenting, och vi svarar senast inom en månad.",
                     "Do you want to use any of your rights? Contact us at {0}. It is free of charge, and we answer within one month at the latest."),
        ["complaint"] = ("Du har rätt att klaga hos tillsynsmyndigheten: {0}, {1}, {2}.",
                         "You have the right to complain to the supervisory authority: {0}, {1}, {2}."),
        ["contact"] = ("Personuppgiftsansvarig", "Controller"),
    };

    private const string Style = """
        <style>
        :root{--ink:#1b1b1b;--muted:#4a4a4a;--accent:#8a1c2b;--line:#d6d3cc;--soft:#f6f4ef}
        *{box-sizing:border-box}
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff;line-height:1.55;margin:0}
        .page{max-width:54rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
        header.top{border-bottom:3px solid var(--accent);padding-bottom:.75rem;margin-bottom:1rem}
        .brand{font-weight:600;color:var(--accent);margin:0;letter-spacing:.02em}
        h1{font-size:2rem;margin:.25rem 0 .5rem}
        h2{font-size:1.35rem;margin:2.25rem 0 .75rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
        h3{font-size:1.1rem;margin:1.5rem 0 .5rem}
        p{margin:.5rem 0}
        a{color:#0b4f8a}
        nav.toc{background:var(--soft);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:1rem 0}
        nav.toc h2{font-size:1rem;margin:0 0 .25rem;border:0;padding:0}
        nav.toc ol{margin:0;padding-left:1.25rem;columns:2;column-gap:2rem}
        .actions{margin:.75rem 0}
        button{font:inherit;background:var(--accent);color:#fff;border:0;border-radius:.375rem;padding:.45rem 1rem;cursor:pointer}
        button:focus-visible,a:focus-visible{outline:3px solid #0b4f8a;outline-offset:2px}
        table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.95rem}
        th,td{text-align:left;border-bottom:1px solid var(--line);padding:.45rem .5rem;vertical-align:top}
        thead th{background:var(--soft);font-weight:600}
        tbody th{font-weight:600}
        .note{display:block;color:var(--muted);font-weight:400;font-size:.9rem;margin-top:.15rem}
        .statement{background:var(--soft);border-left:4px solid var(--accent);padding:.75rem 1rem;margin:.5rem 0}
        .system{border:1px solid var(--line);border-radius:.5rem;padding:.25rem 1rem .75rem;margin:1rem 0}
        dl{margin:.25rem 0}
        dl div{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.5rem;padding:.3rem 0;border-bottom:1px dotted var(--line)}
        dt{font-weight:600}
        dd{margin:0;overflow-wrap:anywhere}
        dd dl div{grid-template-columns:minmax(6rem,10rem) 1fr}
        table.categories th[scope=row]{width:24%}
        table.categories td{width:38%}
        ul.plain{margin:0;padding-left:1rem}
        ul.plain li{margin:.1rem 0}
        td strong + ul.plain{margin-top:.25rem}
        ul.rights{padding-left:1.1rem}
        ul.rights li{margin:.4rem 0}
        footer{margin-top:2.5rem;border-top:1px solid var(--line);padding-top:.75rem;color:var(--muted)}
        @page{margin:18mm 16mm}
        @media print{
          nav,.actions,button{display:none!important}
          *{color:#000!important;background:#fff!important;box-shadow:none!important}
          body{font-size:10.5pt;line-height:1.4}
          .page{max-width:none;padding:0}
          header.top{border-bottom:2px solid #000}
          h2{border-bottom:1px solid #000;break-after:avoid;page-break-after:avoid}
          h3{break-after:avoid;page-break-after:avoid}
          table,tr,dl div,li,.statement,.system{break-inside:avoid;page-break-inside:avoid}
          .system{border:1px solid #000}
          th,td{border-bottom:1px solid #999}
          a{text-decoration:none}
        }
        </style>
        """;

    public static string Render(AccessReport report)
    {
        var sv = report.Language == "sv";
        string L(string key) => sv ? Labels[key].Sv : Labels[key].En;
        string E(string? text) => Encoder.Encode(text ?? "");
        string F(string key, params object[] args) => E(string.Format(CultureInfo.InvariantCulture, L(key), args));
        string D(DateTimeOffset at) => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // The configured address is written for an international reader; in Swedish the country is Sverige.
        var address = sv ? report.Controller.Address.Replace("Sweden", "Sverige", StringComparison.Ordinal) : report.Controller.Address;

        var sections = new List<(string Id, string Title)>
        {
            ("purposes", L("purposes")), ("categories", L("categories")), ("recipients", L("recipients")), ("retention", L("retention")),
            ("source", L("source")), ("automated", L("automated")), ("copy", L("copy")), ("consents", L("consent")), ("own", L("own")),
            ("rights", L("rights")), ("contact", L("contact")),
        };
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="{(sv ? "sv" : "en")}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(L("title"))} – {E(report.Controller.Name)}</title>
            {Style}
            </head><body><div class="page">
            <header class="top"><p class="brand">{E(report.Controller.Name)}</p><h1>{E(L("title"))}</h1>
            <p>{F("intro", report.Controller.Name, string.Join(", ", report.CustomerNumbers), D(report.GeneratedAt))}</p>
            <div class="actions"><button type="button" onclick="window.print()">{E(L("print"))}</button></div>
            </header>
            <nav class="toc" aria-labelledby="toc-title"><h2 id="toc-title">{E(L("contents"))}</h2><ol>
            """);
        foreach (var (id, title) in sections)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><a href=\"#{id}\">{E(title)}</a></li>");
        }

        html.Append("</ol></nav><main>");

        // Art 15(1)(a): purposes, with the legal basis in plain words.
        Section(html, "purposes", L("purposes"));
        if (report.Purposes.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(L("noPurposes"))}</p>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<table><thead><tr><th scope=\"col\">{E(L("purpose"))}</th><th scope=\"col\">{E(L("basis"))}</th><th scope=\"col\">{E(L("data"))}</th></tr></thead><tbody>");
            foreach (var p in report.Purposes)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><th scope=\"row\">{E(p.Label)}{Note(p.Description)}</th><td>{E(p.LegalBasisLabel)}{Note(p.LegalBasisDescription)}</td><td>{E(string.Join(", ", p.CategoryLabels))}</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        html.Append("</section>");

        // Art 15(1)(b): categories.
        Section(html, "categories", L("categories"));
        html.Append(CultureInfo.InvariantCulture, $"<table class=\"categories\"><thead><tr><th scope=\"col\">{E(L("category"))}</th><th scope=\"col\">{E(L("what"))}</th><th scope=\"col\">{E(L("why"))}</th></tr></thead><tbody>");
        foreach (var c in report.Categories)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(c.Label)}</th><td>{E(c.Description)}</td><td>{List(c.PurposeLabels)}</td></tr>");
        }

        html.Append("</tbody></table></section>");

        // Art 15(1)(c), 15(2): recipients from the disclosure log, with their country.
        Section(html, "recipients", L("recipients"));
        if (report.Recipients.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(L("noRecipients"))}</p>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<table><thead><tr><th scope=\"col\">{E(L("recipient"))}</th><th scope=\"col\">{E(L("country"))}</th><th scope=\"col\">{E(L("data"))}</th><th scope=\"col\">{E(L("when"))}</th></tr></thead><tbody>");
            foreach (var r in report.Recipients)
            {
                var when = r.Disclosures == 1 ? F("once", D(r.FirstDisclosedAt)) : F("period", r.Disclosures, D(r.FirstDisclosedAt), D(r.LastDisclosedAt));
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><th scope=\"row\">{E(r.Label)}{Note(r.Description)}{Note(r.KindLabel)}</th><td>{E(r.CountryName)}{Note(L(r.OutsideEea ? "outsideEea" : "eea"))}</td><td>{E(string.Join(", ", r.CategoryLabels))}{Note(string.Join(", ", r.PurposeLabels))}</td><td>{when}</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p>{E(report.Transfers)}</p></section>");

        // Art 15(1)(d): how long, per category, in plain words.
        Section(html, "retention", L("retention"));
        html.Append(CultureInfo.InvariantCulture, $"<table><thead><tr><th scope=\"col\">{E(L("category"))}</th><th scope=\"col\">{E(L("howLong"))}</th></tr></thead><tbody>");
        foreach (var c in report.Categories)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th scope=\"row\">{E(c.Label)}</th><td><strong>{E(c.RetentionStatus)}</strong>{List(c.RetentionText)}</td></tr>");
        }

        html.Append("</tbody></table></section>");

        // Art 15(1)(g), (h).
        Section(html, "source", L("source"));
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(report.Source)}</p></section>");
        Section(html, "automated", L("automated"));
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"statement\">{E(report.AutomatedDecisionMaking)}</p></section>");

        // Art 15(3): the copy, system by system.
        Section(html, "copy", L("copy"));
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(report.SystemData.Count == 0 ? L("noSystems") : L("copyIntro"))}</p>");
        foreach (var s in report.SystemData)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"system\"><h3>{E(s.Label)}</h3><p>{E(s.StatusText)}</p>");
            if (s.Fields.Count > 0)
            {
                Fields(html, s.Fields);
            }

            html.Append("</div>");
        }

        html.Append("</section>");

        Section(html, "consents", L("consent"));
        if (report.Consents.Count == 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(L("noConsent"))}</p>");
        }
        else
        {
            html.Append("<ul>");
            foreach (var e in report.Consents)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(D(e.OccurredAt))}: {E(e.What)}. {E(string.Join("; ", e.Choices))}.</li>");
            }

            html.Append("</ul>");
        }

        html.Append("</section>");

        Section(html, "own", L("own"));
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(report.OwnProcessing)}</p></section>");

        Section(html, "rights", L("rights"));
        html.Append("<ul class=\"rights\">");
        foreach (var right in report.Rights)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><strong>{E(right.Right)}</strong> ({E(right.Article)}): {E(right.Description)}</li>");
        }

        var email = E(report.Controller.Email);
        var imy = report.Complaints;
        html.Append(CultureInfo.InvariantCulture, $"""
            </ul>
            <p>{Linked(L("howTo"), $"<a href=\"mailto:{email}\">{email}</a>")}</p>
            <p>{Linked(L("complaint").Replace("{0}", imy.Name, StringComparison.Ordinal).Replace("{1}", imy.Address, StringComparison.Ordinal).Replace("{2}", "{0}", StringComparison.Ordinal),
                $"<a href=\"{E(imy.Website)}\">{E(imy.Website.Replace("https://", "", StringComparison.Ordinal))}</a>")}</p>
            </section>
            """);
        Section(html, "contact", L("contact"));
        html.Append(CultureInfo.InvariantCulture, $"""
            <p>{E(report.Controller.Name)}<br>{E(address)}<br><a href="mailto:{email}">{email}</a></p>
            </section>
            </main>
            <footer><p>{E(report.Controller.Name)} · {E(L("title"))} · {E(D(report.GeneratedAt))}</p></footer>
            </div></body></html>
            """);
        return html.ToString();

        string Note(string? text) => string.IsNullOrEmpty(text) ? "" : $"<span class=\"note\">{E(text)}</span>";

        string List(IReadOnlyList<string> items) => items.Count == 0 ? "" : $"<ul class=\"plain\">{string.Concat(items.Select(i => $"<li>{E(i)}</li>"))}</ul>";

        // A sentence whose {0} is a link: the text around it encoded, the link's markup as given.
        string Linked(string sentence, string link)
        {
            var at = sentence.IndexOf("{0}", StringComparison.Ordinal);
            return E(sentence[..at]) + link + E(sentence[(at + 3)..]);
        }
    }

    private static void Section(StringBuilder html, string id, string title) =>
        html.Append(CultureInfo.InvariantCulture, $"<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{Encoder.Encode(title)}</h2>");

    /// <summary>A system's data: a list of labelled values; an object's fields nested; a list of like records as a table.</summary>
    private static void Fields(StringBuilder html, IReadOnlyList<ReportField> fields)
    {
        string E(string? text) => Encoder.Encode(text ?? "");
        html.Append("<dl>");
        foreach (var f in fields)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div><dt>{E(f.Label)}</dt><dd>");
            Value(html, f);
            html.Append("</dd></div>");
        }

        html.Append("</dl>");
    }

    private static void Value(StringBuilder html, ReportField field)
    {
        string E(string? text) => Encoder.Encode(text ?? "");
        if (field.Fields is { } inner)
        {
            Fields(html, inner);
        }
        else if (field.Items is { } items)
        {
            var flat = items.All(i => i.All(f => f.Fields is null && f.Items is null));
            if (flat && items.All(i => i.Count == 1 && i[0].Label.Length == 0))
            {
                html.Append("<ul>");
                foreach (var item in items)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<li>{E(item[0].Value)}</li>");
                }

                html.Append("</ul>");
            }
            else if (flat && items.Count > 0)
            {
                // Like records (bookings, invoices): a table with a column per field.
                var columns = items.SelectMany(i => i.Select(f => (f.Key, f.Label))).Distinct().ToList();
                html.Append("<table><thead><tr>");
                foreach (var (_, label) in columns)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<th scope=\"col\">{E(label)}</th>");
                }

                html.Append("</tr></thead><tbody>");
                foreach (var item in items)
                {
                    html.Append("<tr>");
                    foreach (var (key, _) in columns)
                    {
                        html.Append(CultureInfo.InvariantCulture, $"<td>{E(item.FirstOrDefault(f => f.Key == key)?.Value)}</td>");
                    }

                    html.Append("</tr>");
                }

                html.Append("</tbody></table>");
            }
            else
            {
                html.Append("<ol>");
                foreach (var item in items)
                {
                    html.Append("<li>");
                    if (item.Count == 1 && item[0].Label.Length == 0)
                    {
                        Value(html, item[0]);
                    }
                    else
                    {
                        Fields(html, item);
                    }

                    html.Append("</li>");
                }

                html.Append("</ol>");
            }
        }
        else
        {
            html.Append(E(field.Value));
        }
    }
}
