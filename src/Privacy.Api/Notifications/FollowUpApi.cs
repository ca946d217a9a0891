using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Disclosures;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

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
                             "recipient holds the data. `corrections` (rectify) are keyed by registry category; each recipient is told " +
                             "only the categories it was given for a purpose the registry links to it, and every value sent is logged " +
                             "as a disclosure to it (the rest is left out, audited as `egress.withheld`; with `recipient` named, refused " +
                             "with 422). A key bound to an internal system raises follow-ups only for the categories that system holds. " +
                             "Rights requests raise these themselves; this is for cases handled by ops.")
            .WithRequestExample(new RaiseFollowUpRequest("100234", FollowUpAction.Rectify, null, null,
                new Dictionary<string, string?> { ["user.contact.email"] = "new.address@example.com" }, "The customer corrected the address", "CASE-4711"))
            .WithValidation<RaiseFollowUpRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
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

    public static async Task<Results<Created<RaisedFollowUps>, Ok<RaisedFollowUps>, ValidationProblem, ProblemHttpResult>> Raise(
        RaiseFollowUpRequest request, HttpContext http, PrivacyDbContext db, FollowUps followUps, EgressGate gate, RegistryCatalog registry,
        CancellationToken cancellationToken)
    {
        // Corrections and categories name registry categories: the gate decides per recipient which of them it may be told.
        var known = (await registry.CategoryKeysAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var errors = new Dictionary<string, string[]>();
        foreach (var key in (request.Corrections?.Keys ?? []).Where(k => !known.Contains(k)))
        {
            errors[$"corrections.{key}"] = ["Not a category in the registry: corrections are keyed by category (e.g. user.contact.email)."];
        }

        for (var i = 0; i < (request.Categories?.Count ?? 0); i++)
        {
            if (!known.Contains(request.Categories![i]))
            {
                errors[$"categories[{i}]"] = ["Not a category in the registry."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var actor = http.User.GetActor();
        var categories = request.Categories;
        if (actor.System is { } system)
        {
            // A system key speaks for its own system: it raises follow-ups only about the categories that system holds.
            var own = await gate.ForSystemAsync(system, cancellationToken);
            var refused = EgressGate.Refusals(own, request.Corrections?.Keys ?? [], "corrections");
            for (var i = 0; i < (categories?.Count ?? 0); i++)
            {
                if (!own.Allows(categories![i]))
                {
                    refused[$"categories[{i}]"] = [$"The registry does not say '{system}' holds this category: this key raises follow-ups for its own system's data only."];
                }
            }

            if (refused.Count > 0)
            {
                return Refused(refused, "Outside this system's data");
            }

            categories ??= [.. own.Held];
        }

        if (request.Recipient is not null && request.Corrections is not null)
        {
            // Named by the caller: a correction it may not be told is refused rather than left out.
            var release = await gate.ForRecipientAsync(request.Recipient, request.CustomerNumber!, cancellationToken);
            if (EgressGate.Refusals(release, request.Corrections.Keys, "corrections") is { Count: > 0 } refused)
            {
                return Refused(refused, "Correction not allowed for this recipient");
            }
        }

        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        var raised = await followUps.RaiseAsync(
            new FollowUpSpec(request.CustomerNumber!, request.Action!.Value, categories, null, request.Recipient, request.Corrections,
                request.Reason, request.Reference),
            actor.KeyId, cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        var body = new RaisedFollowUps(raised.Count, [.. raised.Select(f => Response(f, null))]);
        return raised.Count == 0
            ? TypedResults.Ok(body)
            : TypedResults.Created($"/follow-ups?customerNumber={request.CustomerNumber}", body);
    }

    private static ProblemHttpResult Refused(Dictionary<string, string[]> errors, string title) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = title,
            Detail = "Nothing was raised: a recipient or system is never sent a value of a category it was not given.",
        });

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
