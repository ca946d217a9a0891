using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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

/// <summary>Rights requests: the lifecycle steps ops take (reject, extend, close), each on a locked request in one transaction.</summary>
public static partial class RequestApi
{
    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> Reject(
        Guid id, RejectRightsRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        RegistryCatalog registry, CancellationToken cancellationToken) =>
        // An unconfirmed identity is known before the work starts; any other ground also once it is verified (Art 12(5)).
        Change(id, http, db, workflow, identities,
            request.Ground == RejectionGround.IdentityNotConfirmed
                ? [RequestStatus.Received]
                : [RequestStatus.Received, RequestStatus.IdentityVerified, RequestStatus.InProgress],
            "reject", async (rights, actor) =>
            {
                if (await GroundRefusedAsync(rights, request.Ground!.Value, workflow, cancellationToken) is { } refused)
                {
                    return refused;
                }

                if (rights.Tasks.Any(t => t.Status == RequestTaskStatus.Done || t.TargetKind == TaskTargetKind.Recipient))
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Part of the work is done",
                        detail: "Some systems or recipients have already acted on this request: close it with the reason instead " +
                                "(POST /requests/{id}/close), which tells the requester what was not done.");
                }

                await workflow.RejectAsync(rights, request.Ground!.Value, request.Reason!, actor, cancellationToken);
                return null;
            }, cancellationToken);

    /// <summary>A ground that does not fit the request: Art 21(1) only for an objection that is not to direct marketing, Art 17(3) only for an erasure.</summary>
    private static async Task<ProblemHttpResult?> GroundRefusedAsync(
        RightsRequest rights, RejectionGround ground, RequestWorkflow workflow, CancellationToken cancellationToken)
    {
        string? why = ground switch
        {
            RejectionGround.CompellingLegitimateGrounds when rights.Type != RequestType.Objection =>
                "Compelling legitimate grounds (Art 21(1)) answer an objection only.",
            RejectionGround.CompellingLegitimateGrounds when (await workflow.ObjectedPurposesAsync(rights, cancellationToken)).Any(p => p.DirectMarketing) =>
                "An objection to direct marketing cannot be refused (Art 21(3)).",
            RejectionGround.CompellingLegitimateGrounds when (await workflow.ObjectedPurposesAsync(rights, cancellationToken)).Any(p => p.LegalBasis == LegalBasis.Consent) =>
                "An objection to a purpose resting on consent is its withdrawal (Art 7(3)), which cannot be refused.",
            RejectionGround.ErasureException when rights.Type is not (RequestType.Erasure or RequestType.Anonymisation) =>
                "The exceptions of Art 17(3) answer an erasure only.",
            _ => null,
        };
        return why is null
            ? null
            : TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["ground"] = [why] })
            {
                Status = StatusCodes.Status422UnprocessableEntity, Title = "Not a ground for this request",
            });
    }

    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> Extend(
        Guid id, ExtendRightsRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        TimeProvider time, CancellationToken cancellationToken) =>
        Change(id, http, db, workflow, identities, [RequestStatus.Received, RequestStatus.IdentityVerified, RequestStatus.InProgress], "extend",
            async (rights, actor) =>
            {
                if (rights.ExtendedDueAt is not null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already extended",
                        detail: "Art 12(3) allows one extension, by at most two further months in all.");
                }

                // Art 12(3): the requester is told of the extension, with the reasons, within one month of receipt; the one
                // month is the first deadline, so once it has passed (overdue, as the lists have it) it is too late to extend.
                if (rights.DueAt < time.GetUtcNow())
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Too late to extend",
                        detail: $"Art 12(3): an extension must be decided and told within the first month, which ended {RequestDeadlines.DayEndedBy(rights.DueAt):yyyy-MM-dd}.");
                }

                rights.ExtendedDueAt = RequestDeadlines.ExtendedDueAt(rights.ReceivedAt, request.Months!.Value);
                rights.ExtensionReason = request.Reason;
                workflow.Transition(rights, rights.Status, actor,
                    $"extended by {request.Months} month(s) to {RequestDeadlines.DayEndedBy(rights.ExtendedDueAt.Value):yyyy-MM-dd}: {request.Reason}",
                    auditAction: "extended");
                await workflow.NotifyRequesterAsync(rights, "extended", cancellationToken); // Art 12(3): the requester is told, with the reasons
                return null;
            }, cancellationToken);

    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> Close(
        Guid id, CloseRightsRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        CancellationToken cancellationToken) =>
        Change(id, http, db, workflow, identities, [RequestStatus.InProgress], "close", async (rights, actor) =>
        {
            await workflow.FinishAsync(rights, actor, $"Closed by ops: {request.Reason}", cancellationToken);
            return null;
        }, cancellationToken);

    /// <summary>Runs one lifecycle step on a locked request in one transaction, if the request is in a status that allows it.</summary>
    private static async Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> Change(
        Guid id, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities, RequestStatus[] allowedFrom, string verb,
        Func<RightsRequest, string, Task<ProblemHttpResult?>> step, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var rights = await workflow.LockAsync(id, cancellationToken);
        if (rights is null)
        {
            return NotFound(id);
        }

        if (!allowedFrom.Contains(rights.Status))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not in a status that allows this",
                detail: $"Cannot {verb} a request that is {JsonNamingPolicy.SnakeCaseLower.ConvertName(rights.Status.ToString())}.");
        }

        if (await step(rights, http.User.GetActor().KeyId) is { } refused)
        {
            return refused;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(Response(rights, await identities.MatchesOfAsync(rights, cancellationToken)));
    }
}
