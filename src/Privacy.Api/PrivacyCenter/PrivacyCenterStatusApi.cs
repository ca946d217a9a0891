using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// The requester's status page, opened by the signed, expiring link in the messages about the request: where it stands, its due date
/// and extension, its outcome, and once completed the access report and the portability export, for a limited time, each download
/// audited (Art 12(1), 12(3)–(4), 15(3), 20(1)). A link that does not open answers as if there were nothing there.
/// </summary>
public static partial class PrivacyCenterApi
{
    private static void MapStatus(RouteGroupBuilder center)
    {
        center.MapGet("/status/{token}", Status)
            .WithName("GetPrivacyCenterStatus")
            .WithSummary("A request's status page, opened by the signed link in the messages about it")
            .WithDescription("HTML in the request's language (`lang` switches), or JSON with `format=json`. State, received date, due date " +
                             "and extension with its reason (Art 12(3)), the outcome and, for a rejection or a partial completion, the " +
                             "reasons and the right to complain (Art 12(4)); once an access or portability request is completed, the download " +
                             "links, for `PrivacyCenter:DownloadWindow` (30 days). Never the identifiers, tasks or what they matched. A forged, " +
                             "changed or expired link answers 404 (`PrivacyCenter:StatusLinkValidity`, 120 days from the message).")
            .Produces<PrivacyCenterStatus>(StatusCodes.Status200OK, "application/json", "text/html")
            .WithQueryValues("format", ("html", "The page (the default)."), ("json", "The same as JSON."))
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        center.MapGet("/status/{token}/report", DownloadReport)
            .WithName("DownloadPrivacyCenterReport")
            .WithSummary("Download the access report (Art 15) of a completed request, as a page in the request's language")
            .WithDescription("Only for a completed access request, within `PrivacyCenter:DownloadWindow` of its completion (404 otherwise, " +
                             "or 409 while it is not completed). Each download is audited (`rights_request.report_downloaded`).")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        center.MapGet("/status/{token}/export", DownloadExport)
            .WithName("DownloadPrivacyCenterExport")
            .WithSummary("Download the portability export (Art 20) of a completed request, as JSON")
            .WithDescription("Only for a completed portability request, within `PrivacyCenter:DownloadWindow` of its completion (404 " +
                             "otherwise, or 409 while it is not completed). Each download is audited (`rights_request.export_downloaded`).")
            .Produces<object>(StatusCodes.Status200OK, "application/json")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    public static async Task<Results<ContentHttpResult, Ok<PrivacyCenterStatus>, ValidationProblem, ProblemHttpResult>> Status(
        string token, string? lang, string? format, HttpContext http, PrivacyDbContext db, StatusLinks links, TimeProvider time,
        IOptions<PrivacyCenterOptions> options, CancellationToken cancellationToken)
    {
        if (format is not (null or "html" or "json"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["'format' must be html or json."] });
        }

        if (lang is not null && Language(lang) is null)
        {
            return LanguageProblem();
        }

        PrivateHeaders(http);
        if (await OpenAsync(token, db, links, cancellationToken) is not { } rights)
        {
            return LinkNotFound();
        }

        var status = StatusOf(rights, lang ?? rights.Language, token, http, time.GetUtcNow(), options.Value);
        return format == "json"
            ? TypedResults.Ok(status)
            : TypedResults.Content(PrivacyCenterPages.Status(status, token), "text/html; charset=utf-8");
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> DownloadReport(
        string token, HttpContext http, PrivacyDbContext db, StatusLinks links, AccessReports reports, AuditTrail audit, TimeProvider time,
        IOptions<PrivacyCenterOptions> options, CancellationToken cancellationToken)
    {
        PrivateHeaders(http);
        var (rights, problem) = await DownloadableAsync(token, RequestType.Access, db, links, time, options.Value, cancellationToken);
        if (rights is null)
        {
            return problem!;
        }

        var report = await reports.BuildAsync(rights, RequestWorkflow.CustomersOf(rights), cancellationToken);
        await AuditDownloadAsync(db, audit, rights, "report", cancellationToken);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"access-report-{rights.Id:N}.html\"";
        return TypedResults.Content(AccessReportHtml.Render(report), "text/html; charset=utf-8");
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> DownloadExport(
        string token, HttpContext http, PrivacyDbContext db, StatusLinks links, AccessReports reports, AuditTrail audit, TimeProvider time,
        IOptions<PrivacyCenterOptions> options, CancellationToken cancellationToken)
    {
        PrivateHeaders(http);
        var (rights, problem) = await DownloadableAsync(token, RequestType.Portability, db, links, time, options.Value, cancellationToken);
        if (rights is null)
        {
            return problem!;
        }

        var export = await reports.ExportAsync(rights, RequestWorkflow.CustomersOf(rights), cancellationToken);
        await AuditDownloadAsync(db, audit, rights, "export", cancellationToken);
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"my-data-{rights.Id:N}.json\"";
        return TypedResults.Content(JsonSerializer.Serialize(export, http.RequestServices
            .GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions), "application/json; charset=utf-8");
    }

    /// <summary>The request a genuine, unexpired status link opens (only a privacy-center request, or one whose e-mail was confirmed).</summary>
    private static async Task<RightsRequest?> OpenAsync(string token, PrivacyDbContext db, StatusLinks links, CancellationToken cancellationToken) =>
        links.Read(token) is not { } id
            ? null
            : await db.Set<RightsRequest>().AsNoTracking().Include(r => r.Tasks).Include(r => r.Customers).Include(r => r.Identifiers).AsSplitQuery()
                .SingleOrDefaultAsync(r => r.Id == id && r.Identifiers.Any(i => i.Kind == IdentifierKind.Email && i.VerifiedAt != null), cancellationToken);

    private static async Task<(RightsRequest? Request, ProblemHttpResult? Problem)> DownloadableAsync(
        string token, RequestType type, PrivacyDbContext db, StatusLinks links, TimeProvider time, PrivacyCenterOptions options,
        CancellationToken cancellationToken)
    {
        var rights = await OpenAsync(token, db, links, cancellationToken);
        if (rights is null || rights.Type != type || rights.Status == RequestStatus.Rejected
            || (rights.ClosedAt is { } closed && closed + options.DownloadWindow <= time.GetUtcNow()))
        {
            return (null, LinkNotFound());
        }

        if (rights.Status is not (RequestStatus.Completed or RequestStatus.PartiallyCompleted))
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not ready",
                detail: "The request is not completed yet; the status page shows where it stands."));
        }

        return (rights, null);
    }

    /// <summary>Who fetched what is audited: the request and what (never whom it is about, nor the link).</summary>
    private static async Task AuditDownloadAsync(PrivacyDbContext db, AuditTrail audit, RightsRequest rights, string what, CancellationToken cancellationToken)
    {
        audit.Record($"rights_request.{what}_downloaded", "rights_request", rights.Id.ToString(), new { via = "privacy_center" });
        await db.SaveChangesAsync(cancellationToken);
    }

    private static PrivacyCenterStatus StatusOf(
        RightsRequest rights, string language, string token, HttpContext http, DateTimeOffset now, PrivacyCenterOptions options)
    {
        var waitingForOps = rights.Status == RequestStatus.Received && rights.Identifiers.Any(i => !i.Verified);
        var downloadable = rights.Status is RequestStatus.Completed or RequestStatus.PartiallyCompleted && rights.ClosedAt is { } closed
                           && closed + options.DownloadWindow > now;
        var basePath = $"{http.Request.PathBase}/privacy-center/status/{token}";
        var kept = rights.Tasks.Where(t => t.KeptUnder is not null).ToList();
        var outcome = rights.Status switch
        {
            RequestStatus.Rejected => NotActingNotices.For(rights.Resolution ?? "", language).Text,
            RequestStatus.PartiallyCompleted => NotActingNotices.For(
                kept.Count > 0 ? NotActingNotices.KeptReasons(kept, language) : rights.Resolution ?? "", language).Text,
            _ => null,
        };
        return new PrivacyCenterStatus(rights.Id, JsonNamingPolicy.SnakeCaseLower.ConvertName(rights.Type.ToString()),
            PrivacyCenterTexts.Right(rights.Type, language).Name, JsonNamingPolicy.SnakeCaseLower.ConvertName(rights.Status.ToString()),
            PrivacyCenterTexts.State(rights, waitingForOps, language), language, rights.ReceivedAt, RequestDeadlines.DayEndedBy(rights.DueAt),
            rights.ExtendedDueAt is { } extended ? RequestDeadlines.DayEndedBy(extended) : null, rights.ExtensionReason, rights.ClosedAt, outcome,
            downloadable && rights.Type == RequestType.Access ? $"{basePath}/report" : null,
            downloadable && rights.Type == RequestType.Portability ? $"{basePath}/export" : null,
            downloadable ? rights.ClosedAt!.Value + options.DownloadWindow : null);
    }

    private static ProblemHttpResult LinkNotFound() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: "This link does not open a request: it may have expired. The latest e-mail about the request has a new link.");
}
