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

/// <summary>
/// The rules of a rights request's life: its deadline, its transitions (each recorded and audited), its fan-out into
/// tasks, and when it is done. Everything joins the caller's transaction.
/// </summary>
public sealed class RequestWorkflow(
    PrivacyDbContext db, RegistryCatalog registry, FollowUps followUps, EgressGate gate, AuditTrail audit,
    ConsentErasure consentErasure, TimeProvider time, IOptions<RequestsOptions> options)
{
    /// <summary>The target of the task that records what the service did to its own data.</summary>
    public const string ServiceItself = "privacy-service";

    private const string ConsentCategory = "user.privacy_preferences";

    /// <summary>The categories of the identifiers a task or message names the subject by.</summary>
    internal const string CustomerNumberCategory = "user.unique_id";

    internal const string EmailCategory = "user.contact.email";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Art 12(3): one month from receipt, a calendar month (31 January → 28 or 29 February).</summary>
    public static DateTimeOffset DueDate(DateTimeOffset receivedAt) => receivedAt.AddMonths(1);

    /// <summary>Art 12(3): extended once, by at most two further months from the original due date.</summary>
    public static DateTimeOffset ExtendedDueDate(DateTimeOffset dueAt, int months) => dueAt.AddMonths(Math.Clamp(months, 1, 2));

    public static bool IsOpen(RequestStatus status) => status is RequestStatus.Received or RequestStatus.IdentityVerified or RequestStatus.InProgress;

    /// <summary>Loads a request with its history and tasks, locking it: changes to one request (and its tasks) are serialised.</summary>
    public async Task<RightsRequest?> LockAsync(Guid id, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM privacy.rights_requests WHERE id = {id} FOR UPDATE", cancellationToken);
        return await db.Set<RightsRequest>().Include(r => r.Transitions).Include(r => r.Tasks).Include(r => r.Identifiers).Include(r => r.Customers)
            .AsSplitQuery().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
    }

    /// <param name="auditAction">The audit action when it is not the new status's name (e.g. <c>extended</c>, which keeps the status).</param>
    public void Transition(RightsRequest request, RequestStatus to, string actor, string? reason, string? auditAction = null)
    {
        var from = request.Transitions.Count == 0 ? (RequestStatus?)null : request.Status;
        request.Status = to;
        request.Transitions.Add(new RequestTransition { RequestId = request.Id, From = from, To = to, At = time.GetUtcNow(), Actor = actor, Reason = reason });
        // The audit entry names no one: the request's own rows hold who it is about, and go when it is erased.
        audit.Record("rights_request." + (auditAction ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(to.ToString())), "rights_request",
            request.Id.ToString(), new { type = request.Type.ToString(), from = from?.ToString(), to = to.ToString() });
        if (!IsOpen(to))
        {
            request.ClosedAt = time.GetUtcNow();
        }
    }

    /// <summary>
    /// The retention sweep's erasure or anonymisation of a customer's categories whose periods ended: a request on the
    /// retention channel that goes straight to the systems and recipients holding the data (no requester, no identity check).
    /// </summary>
    public async Task<RightsRequest> StartRetentionAsync(
        string customerNumber, RequestType type, IReadOnlyList<string> categories, string reason, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var request = new RightsRequest
        {
            Id = Guid.CreateVersion7(now), Type = type, Channel = RequestChannel.Retention, CustomerNumber = customerNumber, Language = "sv",
            Categories = [.. categories], Note = reason, ReceivedAt = now, DueAt = DueDate(now), SubmittedBy = actor,
        };
        // Not a person's request: the sweep names the customer whose periods ended, and that decides what it covers.
        request.Identifiers = RequestIdentities.Given(request.Id, customerNumber, null, null);
        request.Identifiers[0].VerifiedHow = "Retention sweep";
        (request.Identifiers[0].VerifiedAt, request.Identifiers[0].VerifiedBy) = (now, actor);
        request.Customers = [new RequestCustomer { RequestId = request.Id, CustomerNumber = customerNumber, MatchedBy = IdentifierKind.CustomerNumber, AddedBy = actor, AddedAt = now }];
        db.Add(request);
        Transition(request, RequestStatus.Received, actor, "Retention periods ended");
        await db.SaveChangesAsync(cancellationToken);
        await StartAsync(request, actor, null, cancellationToken);
        return request;
    }

    /// <summary>Identity confirmed (or not needed): the tasks go out, and the request is in progress (or done at once when nothing holds the data).</summary>
    public async Task StartAsync(RightsRequest request, string actor, string? verification, CancellationToken cancellationToken)
    {
        if (verification is not null)
        {
            Transition(request, RequestStatus.IdentityVerified, actor, verification);
        }

        await FanOutAsync(request, actor, cancellationToken);
        Transition(request, RequestStatus.InProgress, actor, $"{request.Tasks.Count} tasks");
        await SettleAsync(request, actor, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// An event for the company's e-mail system, which writes to the requester (received, extended, completed, rejected); through
    /// the egress gate, so it carries only the identifiers the registry says that system holds.
    /// </summary>
    public async Task NotifyRequesterAsync(RightsRequest request, string eventType, CancellationToken cancellationToken)
    {
        if (request.Channel == RequestChannel.Retention)
        {
            return; // nobody asked
        }

        var release = await gate.ForSystemAsync(options.Value.NotificationSystem, cancellationToken);
        gate.Send(release, "rights_request." + eventType, new
        {
            requestId = request.Id,
            type = request.Type,
            status = request.Status,
            language = request.Language,
            customerNumber = release.Value(CustomerNumberCategory, request.CoveredCustomerNumber),
            email = release.Value(EmailCategory, request.Email),
            dueAt = request.EffectiveDueAt,
            extensionReason = eventType == "extended" ? request.ExtensionReason : null,
            resolution = request.Resolution,
        }, request.Id.ToString(), $"rights-request:{request.Id}", request.SubmittedBy);
    }

    /// <summary>
    /// A task for every internal system and every recipient holding the affected categories: systems from the registry,
    /// recipients from the subject's disclosure log (told through follow-ups). Data the law requires to keep is restricted
    /// instead of erased, with the ground and the end date.
    /// </summary>
    public async Task FanOutAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var purposes = await registry.PurposesAsync(cancellationToken);
        IReadOnlyCollection<string> scope = request.Type switch
        {
            RequestType.Objection => purposes.FirstOrDefault(p => p.Key == request.Purpose)?.Categories ?? [], // a purpose retired since: nothing processes for it
            RequestType.Rectification or RequestType.Completion => [.. ChangesOf(request)!.Keys], // Art 16: the corrected categories
            _ => (IReadOnlyCollection<string>?)request.Categories ?? await registry.CategoryKeysAsync(cancellationToken),
        };
        foreach (var system in await registry.SystemsAsync(cancellationToken))
        {
            var categories = system.Categories.Where(scope.Contains).ToList();
            if (categories.Count == 0)
            {
                continue;
            }

            // The retention rules already waited for what the law requires to keep.
            var statutory = request.Type is RequestType.Erasure or RequestType.Anonymisation && request.Channel != RequestChannel.Retention
                ? options.Value.StatutoryRetention.FirstOrDefault(s => s.System == system.System)
                : null;
            request.Tasks.Add(new RequestTask
            {
                RequestId = request.Id, TargetKind = TaskTargetKind.System, Target = system.System,
                Action = statutory is null ? SystemAction(request.Type) : TaskAction.Restrict,
                Categories = categories, KeptUnder = statutory?.Ground, KeptUntil = statutory?.KeptUntil(request.ReceivedAt), CreatedAt = now,
            });
        }

        if (request.Type is RequestType.Erasure or RequestType.Anonymisation
            && (request.Channel != RequestChannel.Retention || request.Categories?.Contains(ConsentCategory) == true))
        {
            // The service's own data: done at once, and recorded as a task like any system's.
            foreach (var customer in CustomersOf(request))
            {
                var erased = await consentErasure.EraseCustomerAsync(customer, cancellationToken);
                request.Tasks.Add(new RequestTask
                {
                    RequestId = request.Id, TargetKind = TaskTargetKind.System, Target = ServiceItself, Action = SystemAction(request.Type),
                    Categories = [ConsentCategory, "user.device.ip_address"], Status = RequestTaskStatus.Done, Outcome = erased.ToString(),
                    CreatedAt = now, CompletedAt = now, CompletedBy = actor,
                });
            }
        }

        if (RecipientAction(request.Type) is { } action)
        {
            foreach (var customer in CustomersOf(request))
            {
                var raised = await followUps.RaiseAsync(new FollowUpSpec(customer, action, request.Categories,
                    Purposes: request.Type == RequestType.Objection ? [request.Purpose!] : null,
                    Corrections: ChangesOf(request),
                    Reason: request.Channel == RequestChannel.Retention
                        ? "Retention period ended"
                        : $"Rights request: {JsonNamingPolicy.SnakeCaseLower.ConvertName(request.Type.ToString())}",
                    Reference: $"rights-request:{request.Id}"), actor, cancellationToken);
                foreach (var followUp in raised)
                {
                    request.Tasks.Add(new RequestTask
                    {
                        RequestId = request.Id, TargetKind = TaskTargetKind.Recipient, Target = followUp.RecipientKey,
                        Action = SystemAction(request.Type), Categories = followUp.Categories, FollowUpId = followUp.Id, CreatedAt = now,
                    });
                }
            }
        }

        // Internal systems read their tasks (GET /requests/tasks) or, with a webhook endpoint, are sent each one.
        await db.SaveChangesAsync(cancellationToken);
        foreach (var task in request.Tasks.Where(t => t.TargetKind == TaskTargetKind.System && t.Status == RequestTaskStatus.Pending))
        {
            var release = await gate.ForSystemAsync(task.Target, cancellationToken);
            gate.Send(release, "rights_request.task", SystemTask(task, request, request.Customers.Select(c => c.CustomerNumber), release),
                request.CustomerNumber ?? request.Id.ToString(),
                $"rights-request:{request.Id}", actor);
        }

        audit.Record("rights_request.fanned_out", "rights_request", request.Id.ToString(), new
        {
            systems = request.Tasks.Where(t => t.TargetKind == TaskTargetKind.System).Select(t => t.Target),
            recipients = request.Tasks.Where(t => t.TargetKind == TaskTargetKind.Recipient).Select(t => t.Target),
        });
    }

    /// <summary>The proposed field values of a rectification or completion.</summary>
    public static Dictionary<string, string?>? ChangesOf(RightsRequest request) =>
        request.Changes is null ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(request.Changes, Json);

    /// <summary>
    /// A system's task as the system sees it: what to do, about whom, and where to report. Built from the system's release: the
    /// customer numbers the request covers (never an unverified one) and the proposed values only of categories the registry says
    /// the system holds, and of the task's categories.
    /// </summary>
    public static SystemTaskResponse SystemTask(RequestTask task, RightsRequest request, IEnumerable<string> covered, Release release)
    {
        var customers = covered.Order(StringComparer.Ordinal).Select(c => release.Value(CustomerNumberCategory, c)).OfType<string>().ToList();
        return new SystemTaskResponse(
            task.Id, task.RequestId, request.Type, task.Action, customers.Contains(request.CustomerNumber ?? "") ? request.CustomerNumber : customers.FirstOrDefault(),
            customers, task.Categories,
            release.Values(ChangesOf(request)?.Where(c => task.Categories.Contains(c.Key)).ToDictionary()), request.Purpose,
            task.KeptUnder, task.KeptUntil, task.CreatedAt, $"/requests/tasks/{task.Id}/outcome");
    }

    /// <summary>Completed when every task is done; partially completed when some data is kept by law; open while any task is pending or failed.</summary>
    public async Task SettleAsync(RightsRequest request, string actor, CancellationToken cancellationToken)
    {
        if (request.Status != RequestStatus.InProgress || request.Tasks.Any(t => t.Status != RequestTaskStatus.Done))
        {
            return;
        }

        await FinishAsync(request, actor, null, cancellationToken);
    }

    /// <summary>Ends an in-progress request: completed, or partially completed naming what is kept and why.</summary>
    public async Task FinishAsync(RightsRequest request, string actor, string? reason, CancellationToken cancellationToken)
    {
        var kept = request.Tasks.Where(t => t.KeptUnder is not null).ToList();
        var keptText = string.Join("; ", kept.Select(t =>
            $"{t.Target}: {string.Join(", ", t.Categories)} kept under {t.KeptUnder} until {t.KeptUntil?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"));
        var incomplete = request.Tasks.Any(t => t.Status != RequestTaskStatus.Done);
        request.Resolution = string.Join(" ", new[] { reason, kept.Count > 0 ? keptText : null }.Where(p => p is not null));
        Transition(request, kept.Count > 0 || incomplete ? RequestStatus.PartiallyCompleted : RequestStatus.Completed, actor,
            request.Resolution.Length == 0 ? null : request.Resolution);
        await NotifyRequesterAsync(request, "completed", cancellationToken);
    }

    /// <summary>
    /// The customer numbers the request covers: matched by its verified identifiers, or recorded by ops with the reason
    /// (<see cref="RequestIdentities"/>). An identifier nobody verified never adds one.
    /// </summary>
    public static IReadOnlyList<string> CustomersOf(RightsRequest request) =>
        [.. request.Customers.Select(c => c.CustomerNumber).Distinct().Order(StringComparer.Ordinal)];

    private static TaskAction SystemAction(RequestType type) => type switch
    {
        RequestType.Erasure => TaskAction.Erase,
        RequestType.Anonymisation => TaskAction.Anonymise,
        RequestType.Rectification or RequestType.Completion => TaskAction.Rectify,
        RequestType.Restriction => TaskAction.Restrict,
        RequestType.Objection => TaskAction.StopProcessing,
        _ => TaskAction.Export,
    };

    /// <summary>What recipients are told (Art 19); access and portability concern only the company's own systems.</summary>
    private static FollowUpAction? RecipientAction(RequestType type) => type switch
    {
        RequestType.Erasure => FollowUpAction.Erase,
        RequestType.Anonymisation => FollowUpAction.Anonymise,
        RequestType.Rectification or RequestType.Completion => FollowUpAction.Rectify,
        RequestType.Restriction or RequestType.Objection => FollowUpAction.Restrict,
        _ => null,
    };
}

/// <summary>A partner's acknowledgement of a follow-up that carries a request's task completes (or fails) that task.</summary>
public sealed class RequestTaskAcknowledgements(PrivacyDbContext db, RequestWorkflow workflow, TimeProvider time) : IFollowUpAcknowledgementHandler
{
    public async Task OnAcknowledgedAsync(FollowUp followUp, string actor, CancellationToken cancellationToken)
    {
        var requestId = await db.Set<RequestTask>().Where(t => t.FollowUpId == followUp.Id).Select(t => (Guid?)t.RequestId)
            .SingleOrDefaultAsync(cancellationToken);
        if (requestId is null || await workflow.LockAsync(requestId.Value, cancellationToken) is not { } request)
        {
            return;
        }

        var task = request.Tasks.Single(t => t.FollowUpId == followUp.Id);
        task.Status = followUp.Status == FollowUpStatus.Done ? RequestTaskStatus.Done : RequestTaskStatus.Failed;
        task.Outcome = followUp.AcknowledgementReason;
        task.CompletedAt = time.GetUtcNow();
        task.CompletedBy = actor;
        await workflow.SettleAsync(request, actor, cancellationToken);
    }
}
