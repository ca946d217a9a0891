using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Audit;
using Privacy.Api.Disclosures;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;
using Privacy.Api.Subjects;

namespace Privacy.Api.Requests;

/// <summary>Rights requests: reading a request, its Art 15 report and its Art 20 export, each only by a caller it belongs to.</summary>
public static partial class RequestApi
{
    public static async Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> Get(
        Guid id, HttpContext http, PrivacyDbContext db, RequestIdentities identities, CancellationToken cancellationToken)
    {
        var rights = await ReadableBy(SignedInCustomer.ScopeOf(http), db).Include(r => r.Transitions).Include(r => r.Tasks)
            .Include(r => r.Identifiers).Include(r => r.Customers).Include(r => r.Messages).AsSplitQuery()
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rights is null)
        {
            return NotFound(id);
        }

        // What each identifier matches names other customers: ops only.
        var matches = http.User.IsInRole(Roles.Ops) ? await identities.MatchesOfAsync(rights, cancellationToken) : null;
        return TypedResults.Ok(Response(rights, matches));
    }

    public static async Task<Results<Ok<AccessReport>, ContentHttpResult, ProblemHttpResult, ValidationProblem>> Report(
        Guid id, string? format, HttpContext http, PrivacyDbContext db, AccessReports reports, AuditTrail audit, IOptions<RequestsOptions> options,
        CancellationToken cancellationToken)
    {
        if (format is not (null or "json" or "html"))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["'format' must be json or html."] });
        }

        var (rights, problem) = await Verified(id, RequestType.Access, Readable(http, db, options.Value), cancellationToken);
        if (rights is null)
        {
            return problem!;
        }

        await AuditSystemReadAsync(http, db, audit, rights, "report", cancellationToken);
        var report = await reports.BuildAsync(rights, RequestWorkflow.CustomersOf(rights), cancellationToken);
        return format == "html"
            ? TypedResults.Content(AccessReportHtml.Render(report), "text/html; charset=utf-8")
            : TypedResults.Ok(report);
    }

    public static async Task<Results<Ok<object>, ProblemHttpResult>> Export(
        Guid id, HttpContext http, PrivacyDbContext db, AccessReports reports, AuditTrail audit, IOptions<RequestsOptions> options,
        CancellationToken cancellationToken)
    {
        var (rights, problem) = await Verified(id, RequestType.Portability, Readable(http, db, options.Value), cancellationToken);
        if (rights is null)
        {
            return problem!;
        }

        await AuditSystemReadAsync(http, db, audit, rights, "export", cancellationToken);
        return TypedResults.Ok(await reports.ExportAsync(rights, RequestWorkflow.CustomersOf(rights), cancellationToken));
    }

    /// <summary>
    /// The requests a report or export may be read from: the website's and ops' as for any read (<see cref="ReadableBy"/>); for an
    /// internal system's key, only when it is the e-mail system (Requests:NotificationSystem) and it was sent the request's
    /// <c>completed</c> event, so it fetches exactly what it must send to the requester, and nothing else.
    /// </summary>
    private static IQueryable<RightsRequest> Readable(HttpContext http, PrivacyDbContext db, RequestsOptions options)
    {
        if (!http.User.IsInRole(Roles.System))
        {
            return ReadableBy(SignedInCustomer.ScopeOf(http), db);
        }

        var system = http.User.GetActor().System;
        return system is null || system != options.NotificationSystem
            ? db.Set<RightsRequest>().Where(_ => false)
            : db.Set<RightsRequest>().AsNoTracking().Where(r => r.Messages.Any(m => m.Kind == "completed" && m.Channel == system));
    }

    /// <summary>What the e-mail system fetched to send is audited: the request, what and by which key (never whom it is about).</summary>
    private static async Task AuditSystemReadAsync(
        HttpContext http, PrivacyDbContext db, AuditTrail audit, RightsRequest rights, string what, CancellationToken cancellationToken)
    {
        if (http.User.IsInRole(Roles.System))
        {
            audit.Record($"rights_request.{what}_fetched", "rights_request", rights.Id.ToString(), new { system = http.User.GetActor().System });
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>
    /// The request, if the caller may read it, it is of <paramref name="type"/> and its requester's identity is confirmed
    /// (Art 12(6)). One the caller may not read is not found, before its type or status could say it exists.
    /// </summary>
    private static async Task<(RightsRequest? Request, ProblemHttpResult? Problem)> Verified(
        Guid id, RequestType type, IQueryable<RightsRequest> readable, CancellationToken cancellationToken)
    {
        var rights = await readable.Include(r => r.Tasks).Include(r => r.Customers).AsSplitQuery()
            .SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rights is null)
        {
            return (null, NotFound(id));
        }

        if (rights.Type != type || rights.Status is RequestStatus.Received or RequestStatus.Rejected)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not available for this request",
                detail: rights.Type != type
                    ? $"This is a {JsonNamingPolicy.SnakeCaseLower.ConvertName(rights.Type.ToString())} request."
                    : "The requester's identity has not been confirmed (Art 12(6))."));
        }

        return (rights, null);
    }

    /// <summary>
    /// The requests <paramref name="scope"/> may read (OWASP API1): ops every one; the website only those it submitted through
    /// the website (channel web, by a frontend key) for the signed-in customer, so a request ops entered from an e-mail, letter or
    /// phone call is never the website's, even for the same customer number (its identity was checked by ops, not by the sign-in).
    /// </summary>
    private static IQueryable<RightsRequest> ReadableBy(CustomerScope scope, PrivacyDbContext db)
    {
        var requests = db.Set<RightsRequest>().AsNoTracking();
        if (scope.IsEveryone)
        {
            return requests;
        }

        var (customer, websiteKeys) = (scope.Customer, scope.WebsiteKeys);
        return customer is null
            ? requests.Where(_ => false)
            : requests.Where(r => r.Channel == RequestChannel.Web && r.CustomerNumber == customer && websiteKeys.Contains(r.SubmittedBy));
    }
}
