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

/// <summary>Rights requests: an internal system's tasks and its answers.</summary>
public static partial class RequestApi
{
    public static async Task<Results<Ok<SystemTaskPage>, ValidationProblem, ProblemHttpResult>> ListSystemTasks(
        HttpContext http, PrivacyDbContext db, EgressGate gate, string? system, long? after, int? limit, CancellationToken cancellationToken)
    {
        system = http.User.GetActor().SpeaksFor(system, out var refused);
        if (refused is not null)
        {
            return refused;
        }

        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        if (string.IsNullOrEmpty(system))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["system"] = ["'system' must name the internal system."] });
        }

        var rows = await db.Set<RequestTask>().AsNoTracking()
            .Where(t => t.TargetKind == TaskTargetKind.System && t.Target == system && t.Status == RequestTaskStatus.Pending && t.Id > (after ?? 0))
            .OrderBy(t => t.Id).Take(size)
            .Join(db.Set<RightsRequest>(), t => t.RequestId, r => r.Id, (t, r) => new { Task = t, Request = r })
            .ToListAsync(cancellationToken);
        var release = await gate.ForSystemAsync(system, cancellationToken);
        var requestIds = rows.Select(r => r.Request.Id).Distinct().ToList();
        var covered = (await db.Set<RequestCustomer>().AsNoTracking().Where(c => requestIds.Contains(c.RequestId))
            .Select(c => new { c.RequestId, c.CustomerNumber }).ToListAsync(cancellationToken)).ToLookup(c => c.RequestId, c => c.CustomerNumber);
        var emails = (await db.Set<RequestIdentifier>().AsNoTracking()
                .Where(i => requestIds.Contains(i.RequestId) && i.Kind == IdentifierKind.Email && i.VerifiedAt != null)
                .Select(i => new { i.RequestId, i.Value }).ToListAsync(cancellationToken))
            .ToDictionary(i => i.RequestId, i => i.Value);
        var items = rows.Select(r => RequestWorkflow.SystemTask(r.Task, r.Request, covered[r.Request.Id], emails.GetValueOrDefault(r.Request.Id), release))
            .ToList();
        return TypedResults.Ok(new SystemTaskPage(items, items.Count == size ? items[^1].Id : null));
    }

    public static async Task<Results<Ok<TaskResponse>, ProblemHttpResult>> ReportOutcome(
        long taskId, TaskOutcomeRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var requestId = await db.Set<RequestTask>().Where(t => t.Id == taskId && t.TargetKind == TaskTargetKind.System)
            .Select(t => (Guid?)t.RequestId).SingleOrDefaultAsync(cancellationToken);
        var rights = requestId is null ? null : await workflow.LockAsync(requestId.Value, cancellationToken);
        if (rights is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"There is no internal system task {taskId} (a recipient's task completes with its follow-up's acknowledgement).");
        }

        var task = rights.Tasks.Single(t => t.Id == taskId);
        if (http.User.GetActor().System is { } own && task.Target != own)
        {
            // Another system's task is answered exactly like one that does not exist.
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: $"There is no internal system task {taskId} for '{own}'.");
        }

        if (task.Status == RequestTaskStatus.Done || !RequestWorkflow.IsOpen(rights.Status))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already settled",
                detail: task.Status == RequestTaskStatus.Done ? $"Task {taskId} is done." : "The request is closed.");
        }

        var actor = http.User.GetActor().KeyId;
        (task.Status, task.Outcome, task.CompletedAt, task.CompletedBy) = (request.Outcome!.Value, request.Note, time.GetUtcNow(), actor);
        task.Result = request.Result is { ValueKind: JsonValueKind.Object } result ? result.GetRawText() : null;
        await workflow.SettleAsync(rights, actor, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Ok(TaskOf(task));
    }
}
