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
public sealed partial class RequestWorkflow(
    PrivacyDbContext db, RegistryCatalog registry, FollowUps followUps, EgressGate gate, AuditTrail audit,
    ConsentErasure consentErasure, ErasureExceptions exceptions, ConsentRecorder consentRecorder, IHttpContextAccessor httpContext,
    PrivacyCenter.StatusLinks statusLinks, TimeProvider time, IOptions<RequestsOptions> options)
{
    /// <summary>The target of the task that records what the service did to its own data.</summary>
    public const string ServiceItself = "privacy-service";

    private const string ConsentCategory = "user.privacy_preferences";

    /// <summary>The categories of the identifiers a task or message names the subject by.</summary>
    internal const string CustomerNumberCategory = "user.unique_id";

    internal const string EmailCategory = "user.contact.email";

    private const string IpAddressCategory = "user.device.ip_address";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static bool IsOpen(RequestStatus status) => status is RequestStatus.Received or RequestStatus.IdentityVerified or RequestStatus.InProgress;

    /// <summary>Loads a request with its history and tasks, locking it: changes to one request (and its tasks) are serialised.</summary>
    public async Task<RightsRequest?> LockAsync(Guid id, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync($"SELECT 1 FROM privacy.rights_requests WHERE id = {id} FOR UPDATE", cancellationToken);
        return await db.Set<RightsRequest>().Include(r => r.Transitions).Include(r => r.Tasks).Include(r => r.Identifiers).Include(r => r.Customers)
            .Include(r => r.Messages).AsSplitQuery().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
    }

    /// <param name="auditAction">The audit action when it is not the new status's name (e.g. <c>extended</c>, which keeps the status).</param>
    public void Transition(RightsRequest request, RequestStatus to, string actor, string? reason, string? auditAction = null)
    {
        var from = request.Transitions.Count == 0 ? (RequestStatus?)null : request.Status;
        request.Status = to;
        request.Transitions.Add(new RequestTransition { RequestId = request.Id, From = from, To = to, At = time.GetUtcNow(), Actor = actor, Reason = reason });
        // The audit entry names no one: the request's own rows hold who it is about, and go when it is erased. The first one
        // records when it was received and when it was keyed in (a letter may arrive days before ops enter it): the deadline
        // counts from receipt (Art 12(3)).
        audit.Record("rights_request." + (auditAction ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(to.ToString())), "rights_request",
            request.Id.ToString(), from is null
                ? new { type = request.Type.ToString(), from = (string?)null, to = to.ToString(), receivedAt = request.ReceivedAt, keyedAt = time.GetUtcNow() }
                : new { type = request.Type.ToString(), from = from?.ToString(), to = to.ToString() });
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
            Categories = [.. categories], Note = reason, ReceivedAt = now, DueAt = RequestDeadlines.DueAt(now), SubmittedBy = actor,
        };
        // Not a person's request: the sweep names the customer whose periods ended, and that decides what it covers.
        request.Identifiers = RequestIdentities.Given(request.Id, customerNumber, null);
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
    /// the egress gate, so it carries only the identifiers the registry says that system holds. Each is recorded on the request
    /// (<see cref="RequestMessage"/>). A rejection, and an end that keeps some data, carry the not-acting notice (Art 12(4)); a
    /// completed access or portability request carries where the e-mail system fetches what it sends (its key reads only the
    /// requests it was told about). Once the requester's e-mail address is confirmed, each message carries the signed link to the
    /// request's status page in the privacy center.
    /// </summary>
    public async Task NotifyRequesterAsync(RightsRequest request, string eventType, CancellationToken cancellationToken)
    {
        if (request.Channel == RequestChannel.Retention)
        {
            return; // nobody asked
        }

        var system = options.Value.NotificationSystem;
        var release = await gate.ForSystemAsync(system, cancellationToken);
        var kept = request.Tasks.Where(t => t.KeptUnder is not null).ToList();
        var notice = eventType == "rejected"
            ? NotActingNotices.For(request.Resolution ?? "", request.Language)
            : eventType == "completed" && request.Status == RequestStatus.PartiallyCompleted
                ? NotActingNotices.For(kept.Count > 0 ? NotActingNotices.KeptReasons(kept, request.Language) : request.Resolution ?? "", request.Language)
                : null;
        var messageId = Guid.CreateVersion7(time.GetUtcNow());
        gate.Send(release, "rights_request." + eventType, new
        {
            requestId = request.Id,
            type = request.Type,
            status = request.Status,
            language = request.Language,
            customerNumber = release.Value(CustomerNumberCategory, request.CoveredCustomerNumber),
            email = release.Value(EmailCategory, request.Email),
            dueAt = request.EffectiveDueAt,
            dueDate = RequestDeadlines.DayEndedBy(request.EffectiveDueAt), // the Swedish day the requester is told
            extensionReason = eventType == "extended" ? request.ExtensionReason : null,
            resolution = request.Resolution,
            notice,
            report = eventType == "completed" && request.Type == RequestType.Access ? $"/requests/{request.Id}/report?format=html" : null,
            export = eventType == "completed" && request.Type == RequestType.Portability ? $"/requests/{request.Id}/export" : null,
            // The requester's own page for the request (signed, expiring), only to an address they confirmed: an unconfirmed one
            // may be someone else's.
            statusPage = VerifiedEmail(request.Identifiers) is null ? null : statusLinks.Url(request.Id),
        }, request.Id.ToString(), $"rights-request:{request.Id}", request.SubmittedBy, messageId);
        request.Messages.Add(new RequestMessage
        {
            RequestId = request.Id, Kind = eventType, Channel = system, Language = request.Language, At = time.GetUtcNow(), OutboxMessageId = messageId,
        });
    }

    /// <summary>Rejects the request on <paramref name="ground"/>: open tasks are withdrawn, and the requester is told with the not-acting notice (Art 12(4)).</summary>
    public async Task RejectAsync(RightsRequest request, RejectionGround ground, string reason, string actor, CancellationToken cancellationToken)
    {
        request.Resolution = $"{RejectionGrounds.Text(ground, request.Language)} {reason}";
        await CancelOpenTasksAsync(request, actor, cancellationToken);
        Transition(request, RequestStatus.Rejected, actor, request.Resolution);
        await NotifyRequesterAsync(request, "rejected", cancellationToken);
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
