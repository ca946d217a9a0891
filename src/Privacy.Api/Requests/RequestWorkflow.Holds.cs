using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Audit;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Database;
using Privacy.Api.Registry;

namespace Privacy.Api.Requests;

/// <summary>Rights requests: erasures a legal hold kept, sent once it is released; tasks cancelled by a rejection.</summary>
public sealed partial class RequestWorkflow
{
    /// <summary>
    /// A legal hold was released (or ended): each erasure or anonymisation it kept restricted goes out now, for what no other hold
    /// still keeps (that hold then keeps it). The request, if it had ended, is in progress again until the new tasks are done;
    /// every step is a transition and an audit entry. Joins the caller's transaction.
    /// </summary>
    public async Task ResumeHeldAsync(Retention.LegalHold released, string actor, CancellationToken cancellationToken)
    {
        var requestIds = await db.Set<RequestTask>().Where(t => t.HoldId == released.Id && t.KeptUnder != null).Select(t => t.RequestId).Distinct()
            .ToListAsync(cancellationToken);
        foreach (var requestId in requestIds)
        {
            var request = (await LockAsync(requestId, cancellationToken))!;
            var held = request.Tasks.Where(t => t.HoldId == released.Id && t.KeptUnder != null).ToList();
            var customers = held.SelectMany(t => t.CustomerNumbers ?? CustomersOf(request)).Distinct().ToList();
            var keeps = await exceptions.ForAsync(customers, cancellationToken); // other holds still in force, and the law's periods
            var now = time.GetUtcNow();
            var added = new List<RequestTask>();
            foreach (var task in held)
            {
                var (kept, erase) = keeps.Split(task.TargetKind == TaskTargetKind.System && task.Target != ServiceItself ? task.Target : null, task.Categories);
                if (kept.Count > 0)
                {
                    // Another hold (or the law) still keeps some of it: the restriction stands, now under that ground.
                    (task.KeptUnder, task.KeptUntil, task.HoldId) = (kept[0].Ground, kept[0].KeptUntil, kept[0].HoldId);
                }
                else
                {
                    var outcome = $"Kept under legal hold #{released.Id} until {RequestDeadlines.SwedishDay(now):yyyy-MM-dd}, when it was released";
                    (task.KeptUnder, task.KeptUntil, task.Outcome) = (null, RequestDeadlines.SwedishDay(now), outcome);
                    if (task.Status == RequestTaskStatus.Pending)
                    {
                        // The restriction is overtaken by the erasure that follows.
                        (task.Status, task.CompletedAt, task.CompletedBy) = (RequestTaskStatus.Done, now, actor);
                    }
                }

                if (erase.Count == 0)
                {
                    continue;
                }

                if (task.TargetKind == TaskTargetKind.Recipient)
                {
                    foreach (var customer in task.CustomerNumbers ?? CustomersOf(request))
                    {
                        await RaiseAsync(request, customer, RecipientAction(request.Type)!.Value, [.. erase], null, null, actor, now,
                            t => { added.Add(t); request.Tasks.Add(t); return t; }, cancellationToken);
                    }
                }
                else if (task.Target == ServiceItself)
                {
                    foreach (var customer in task.CustomerNumbers ?? CustomersOf(request))
                    {
                        var erased = await consentErasure.EraseCustomerAsync(customer, cancellationToken);
                        var done = Copy(task, SystemAction(request.Type), erase, now);
                        (done.Status, done.Outcome, done.CompletedAt, done.CompletedBy, done.CustomerNumbers) = (RequestTaskStatus.Done, erased.ToString(), now, actor, [customer]);
                        added.Add(done);
                    }
                }
                else
                {
                    added.Add(Copy(task, SystemAction(request.Type), erase, now));
                }
            }

            foreach (var task in added.Where(t => !request.Tasks.Contains(t)))
            {
                request.Tasks.Add(task);
            }

            if (!IsOpen(request.Status))
            {
                request.ClosedAt = null;
                Transition(request, RequestStatus.InProgress, actor, $"Legal hold #{released.Id} released: {added.Count} tasks for what it kept");
            }
            else
            {
                audit.Record("rights_request.hold_released", "rights_request", request.Id.ToString(), new { hold = released.Id, tasks = added.Count });
            }

            await SendSystemTasksAsync(request, added, actor, cancellationToken);
            await SettleAsync(request, actor, cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private static RequestTask Copy(RequestTask task, TaskAction action, IReadOnlyList<string> categories, DateTimeOffset now) => new()
    {
        RequestId = task.RequestId, TargetKind = task.TargetKind, Target = task.Target, Action = action, Categories = [.. categories],
        CustomerNumbers = task.CustomerNumbers, CreatedAt = now,
    };

    /// <summary>A request rejected once its work went out: its pending system tasks are cancelled, and each system is told.</summary>
    public async Task CancelOpenTasksAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        foreach (var task in request.Tasks.Where(t => t.TargetKind == TaskTargetKind.System && t.Status is RequestTaskStatus.Pending or RequestTaskStatus.Failed))
        {
            (task.Status, task.Outcome, task.CompletedAt, task.CompletedBy) = (RequestTaskStatus.Cancelled, "The request was rejected", time.GetUtcNow(), actor);
            var release = await gate.ForSystemAsync(task.Target, cancellationToken);
            gate.Send(release, "rights_request.task_cancelled", new { id = task.Id, requestId = request.Id, reason = "The request was rejected" },
                request.CustomerNumber ?? request.Id.ToString(), $"rights-request:{request.Id}", actor);
        }
    }
}
