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

/// <summary>Rights requests: confirming the requester's identifiers and the customer numbers a request covers (Art 11–12).</summary>
public static partial class RequestApi
{
    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> VerifyIdentity(
        Guid id, VerifyIdentityRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        CancellationToken cancellationToken) =>
        Change(id, http, db, workflow, identities, [RequestStatus.Received], "verify the identity of", async (rights, actor) =>
        {
            if (VerifyIdentifiers(rights, request.Identifiers, request.Method!, actor, identities) is { } refused)
            {
                return refused;
            }

            if (!await identities.CoverAsync(rights, actor, cancellationToken))
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Several customers match",
                    detail: "A verified identifier matches more than one customer number, so it cannot decide whose data the request " +
                            "covers. Record which customer numbers it covers, and why (POST /requests/{id}/customers), then verify again.");
            }

            await workflow.StartAsync(rights, actor, request.Method!, cancellationToken);
            return null;
        }, cancellationToken);

    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> ConfirmIdentifiers(
        Guid id, VerifyIdentifiersRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        CancellationToken cancellationToken) =>
        Change(id, http, db, workflow, identities, [RequestStatus.Received, RequestStatus.IdentityVerified, RequestStatus.InProgress],
            "confirm identifiers of", (rights, actor) => Task.FromResult(VerifyIdentifiers(rights, request.Identifiers, request.Method!, actor, identities)),
            cancellationToken);

    public static Task<Results<Ok<RightsRequestResponse>, ProblemHttpResult>> AddCustomer(
        Guid id, AddRequestCustomerRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        CancellationToken cancellationToken) =>
        // Before the work goes out, it is made for every customer covered then; once it is out, a customer number ops matched later
        // (a request given only an e-mail address or a personnummer) gets its own tasks and follow-ups, for that customer only.
        Change(id, http, db, workflow, identities, [RequestStatus.Received, RequestStatus.IdentityVerified, RequestStatus.InProgress],
            "add a customer number to", async (rights, actor) =>
            {
                if (rights.Customers.Any(c => c.CustomerNumber == request.CustomerNumber))
                {
                    return null; // already covered: a retry changes nothing
                }

                identities.AddCustomer(rights, request.CustomerNumber!, request.Reason!, actor);
                if (rights.Status == RequestStatus.InProgress)
                {
                    await workflow.FanOutAsync(rights, actor, cancellationToken, [request.CustomerNumber!]);
                    workflow.Transition(rights, rights.Status, actor, $"Customer number added by ops: tasks for it went out", auditAction: "customer_fanned_out");
                    await workflow.SettleAsync(rights, actor, cancellationToken);
                }

                return null;
            }, cancellationToken);

    /// <summary>Verifies the named identifiers (all given ones when null); naming one the request was not given is refused.</summary>
    private static ProblemHttpResult? VerifyIdentifiers(
        RightsRequest rights, IReadOnlyList<IdentifierKind>? kinds, string method, string actor, RequestIdentities identities)
    {
        var missing = (kinds ?? []).Select((k, i) => (k, i)).Where(x => rights.Identifiers.All(g => g.Kind != x.k)).ToList();
        if (missing.Count > 0)
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(missing.ToDictionary(x => $"identifiers[{x.i}]",
                _ => new[] { "The request was not given an identifier of this kind." }))
            {
                Status = StatusCodes.Status422UnprocessableEntity, Title = "No such identifier on the request",
            });
        }

        foreach (var identifier in rights.Identifiers.Where(g => kinds is null || kinds.Contains(g.Kind)))
        {
            identities.Verify(identifier, method, actor);
        }

        return null;
    }
}
