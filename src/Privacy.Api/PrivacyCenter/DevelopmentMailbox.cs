using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// Development only: what the e-mail system (Requests:NotificationSystem) was sent, newest first, with the codes and links each
/// message carries, so the privacy center's whole flow can be walked without an e-mail server. Off (404) everywhere else.
/// </summary>
public static partial class PrivacyCenterApi
{
    private static void MapMailbox(IEndpointRouteBuilder routes) =>
        routes.MapGet("/development/mailbox", Mailbox)
            .WithName("GetDevelopmentMailbox")
            .WithTags("Privacy center")
            .WithSummary("What the e-mail system would have been sent: codes, status links, notices (Development only)")
            .WithDescription("The newest 50 messages to the internal system named by Requests:NotificationSystem, read from the outbox. " +
                             "404 unless `PrivacyCenter:DevelopmentMailbox` is on (it is in Development): the messages hold e-mail " +
                             "addresses and codes.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .AllowAnonymous();

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Mailbox(
        HttpContext http, PrivacyDbContext db, IOptions<PrivacyCenterOptions> options, IOptions<RequestsOptions> requests, IHostEnvironment environment,
        CancellationToken cancellationToken)
    {
        if (!(options.Value.DevelopmentMailbox ?? environment.IsDevelopment()))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "The development mailbox is off (PrivacyCenter:DevelopmentMailbox; on in Development).");
        }

        var system = requests.Value.NotificationSystem;
        var messages = await db.Set<OutboxMessage>().AsNoTracking().Where(m => m.RecipientKey == system).OrderByDescending(m => m.Id).Take(50)
            .Select(m => new { m.EventType, m.Payload, m.CreatedAt, m.DeliveredAt }).ToListAsync(cancellationToken);
        var encoder = HtmlEncoder.Create(System.Text.Unicode.UnicodeRanges.All);
        string E(string? text) => encoder.Encode(text ?? "");
        var rows = messages.Select(m =>
        {
            using var payload = JsonDocument.Parse(m.Payload);
            var data = payload.RootElement.TryGetProperty("data", out var d) ? d : payload.RootElement;
            string? Field(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString() : null;
            var links = new[] { ("statusPage", "Status page"), ("enterAt", "Enter the code") }
                .Where(l => Field(l.Item1) is not null)
                .Select(l => $"<a class=\"spc-link\" href=\"{E(Local(Field(l.Item1)!, options.Value))}\">{E(l.Item2)}</a>");
            return $"""
                <tr><td>{E(m.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))}</td><td>{E(m.EventType)}</td>
                <td>{E(Field("email"))}</td><td>{E(Field("language"))}</td><td class="spc-code">{E(Field("code"))}</td>
                <td>{string.Join(" ", links)}</td></tr>
                """;
        });
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Development mailbox</title><link rel="stylesheet" href="{E(http.Request.PathBase)}/privacy-center/privacy-center.css"></head>
            <body class="spc-page"><main class="spc-main spc-wide">
            <h1>Development mailbox</h1>
            <p class="spc-lead">What the e-mail system (<code>{E(system)}</code>) was sent, newest first. Development only: in production these
            go through the outbox to the e-mail system, which writes the e-mails.</p>
            <table class="spc-table" id="mailbox"><caption class="spc-hidden">Messages to the e-mail system</caption>
            <thead><tr><th scope="col">Sent</th><th scope="col">Event</th><th scope="col">To</th><th scope="col">Language</th><th scope="col">Code</th><th scope="col">Links</th></tr></thead>
            <tbody>{string.Concat(rows)}</tbody></table>
            {(messages.Count == 0 ? "<p>No messages yet.</p>" : "")}
            </main></body></html>
            """, "text/html; charset=utf-8");
    }

    /// <summary>A link of a message as this service answers it (the path on this host: the public address may be another).</summary>
    private static string Local(string url, PrivacyCenterOptions options) =>
        url.StartsWith(options.EffectivePublicUrl, StringComparison.Ordinal) ? url[options.EffectivePublicUrl.Length..] : url;
}
