using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Notifications;

/// <summary>Follow-ups (Art 19): telling the recipients that hold a customer's data what they must now do with it.</summary>
public static class FollowUpApi
{
    public static IEndpointRouteBuilder MapFollowUpApi(this IEndpointRouteBuilder routes)
    {
        var followUps = routes.MapGroup("/follow-ups").WithTags("Follow-ups");
        followUps.MapPost("/", Raise)
            .WithName("RaiseFollowUps")
            .WithSummary("Tell the recipients holding a customer's data to rectify, erase, anonymise or restrict it")
            .WithDescription("Art 19: one follow-up per recipient the disclosure log says was given the data (limited to `recipient` and " +
                             "`categories` when given), each in that partner's feed and sent to its webhook. 200 with none when no " +
                             "recipient holds the data. Rights requests raise these themselves; this is for cases handled by ops.")
            .WithRequestExample(new RaiseFollowUpRequest("100234", FollowUpAction.Rectify, ["user.contact.email"], null,
                new Dictionary<string, string?> { ["email"] = "new.address@example.com" }, "The customer corrected the address", "CASE-4711"))
            .WithValidation<RaiseFollowUpRequest>()
            .WithIdempotency()
            .RequireAuthorization(Policies.OpsOrSystem);
        followUps.MapGet("/", List)
            .WithName("ListFollowUps")
            .WithSummary("Follow-ups and the recipients' acknowledgements, by recipient, customer, status and action")
            .WithDescription("`status`: pending, done or failed. `action`: rectify, erase, anonymise, restrict or consent_withdrawn. " +
                             "Oldest first, paged by id: pass a page's `next` as `after`. `webhookDeliveredAt` is when the recipient's " +
                             "endpoint accepted it (null while pending or when it only polls).")
            .WithQueryValues<FollowUpStatus>("status")
            .WithQueryValues<FollowUpAction>("action")
            .RequireAuthorization(Policies.OpsOrSystem);
        return routes;
    }

    public static async Task<Results<Created<RaisedFollowUps>, Ok<RaisedFollowUps>, ValidationProblem>> Raise(
        RaiseFollowUpRequest request, HttpContext http, PrivacyDbContext db, FollowUps followUps, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        var raised = await followUps.RaiseAsync(
            new FollowUpSpec(request.CustomerNumber!, request.Action!.Value, request.Categories, null, request.Recipient, request.Corrections,
                request.Reason, request.Reference),
            http.User.GetActor().KeyId, cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        var body = new RaisedFollowUps(raised.Count, [.. raised.Select(f => Response(f, null))]);
        return raised.Count == 0
            ? TypedResults.Ok(body)
            : TypedResults.Created($"/follow-ups?customerNumber={request.CustomerNumber}", body);
    }

    public static async Task<Results<Ok<FollowUpPage>, ValidationProblem>> List(
        PrivacyDbContext db, string? recipient, string? customerNumber, string? status, string? action, long? after, int? limit,
        CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        var (statusValue, actionValue) = (EnumQuery.Parse<FollowUpStatus>(status, "status", errors), EnumQuery.Parse<FollowUpAction>(action, "action", errors));
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.Set<FollowUp>().AsNoTracking().Where(f => f.Id > (after ?? 0));
        if (recipient is not null)
        {
            query = query.Where(f => f.RecipientKey == recipient);
        }

        if (customerNumber is not null)
        {
            query = query.Where(f => f.CustomerNumber == customerNumber);
        }

        if (status is not null)
        {
            query = query.Where(f => f.Status == statusValue);
        }

        if (action is not null)
        {
            query = query.Where(f => f.Action == actionValue);
        }

        var rows = await query.OrderBy(f => f.Id).Take(size)
            .Select(f => new { FollowUp = f, Delivered = db.Set<OutboxMessage>().Where(m => m.MessageId == f.MessageId).Select(m => m.DeliveredAt).FirstOrDefault() })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => Response(r.FollowUp, r.Delivered)).ToList();
        return TypedResults.Ok(new FollowUpPage(items, items.Count == size ? items[^1].Id : null));
    }

    private static FollowUpResponse Response(FollowUp f, DateTimeOffset? delivered) => new(
        f.Id, f.MessageId, f.RecipientKey, f.Action, f.CustomerNumber, f.Categories, f.Purposes, f.Reason, f.Reference, f.RequestedBy,
        f.CreatedAt, f.Status, f.AcknowledgedAt, f.AcknowledgedBy, f.AcknowledgementReason, delivered);
}
