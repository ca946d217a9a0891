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
    ConsentErasure consentErasure, ErasureExceptions exceptions, ConsentRecorder consentRecorder, IHttpContextAccessor httpContext,
    TimeProvider time, IOptions<RequestsOptions> options)
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
    /// the egress gate, so it carries only the identifiers the registry says that system holds. Each is recorded on the request
    /// (<see cref="RequestMessage"/>). A rejection, and an end that keeps some data, carry the not-acting notice (Art 12(4)); a
    /// completed access or portability request carries where the e-mail system fetches what it sends (its key reads only the
    /// requests it was told about).
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
            extensionReason = eventType == "extended" ? request.ExtensionReason : null,
            resolution = request.Resolution,
            notice,
            report = eventType == "completed" && request.Type == RequestType.Access ? $"/requests/{request.Id}/report?format=html" : null,
            export = eventType == "completed" && request.Type == RequestType.Portability ? $"/requests/{request.Id}/export" : null,
        }, request.Id.ToString(), $"rights-request:{request.Id}", request.SubmittedBy, messageId);
        request.Messages.Add(new RequestMessage
        {
            RequestId = request.Id, Kind = eventType, Channel = system, Language = request.Language, At = time.GetUtcNow(), OutboxMessageId = messageId,
        });
    }

    /// <summary>
    /// A task for every internal system and every recipient holding the affected categories: systems from the registry,
    /// recipients from the subject's disclosure log (told through follow-ups). What an erasure must keep (<see cref="ErasureExceptions"/>:
    /// legal holds, data the law requires to keep) is restricted instead, with the ground and the end date. <paramref name="customers"/>:
    /// only these covered customers (a customer number ops attached once the work was out); null: every covered customer.
    /// </summary>
    public async Task FanOutAsync(RightsRequest request, string actor, CancellationToken cancellationToken, IReadOnlyList<string>? customers = null)
    {
        var now = time.GetUtcNow();
        var subjects = customers ?? CustomersOf(request);
        var scope = await ScopeAsync(request, cancellationToken);
        // The retention sweep already waited for holds and for what the law requires to keep.
        var keeps = request.Type is RequestType.Erasure or RequestType.Anonymisation && request.Channel != RequestChannel.Retention
            ? await exceptions.ForAsync(subjects, cancellationToken)
            : ErasureKeeps.None;
        var withdrawn = request.Type == RequestType.Objection ? await WithdrawObjectedConsentsAsync(request, subjects, actor, cancellationToken) : [];
        var added = new List<RequestTask>();
        RequestTask Add(RequestTask task)
        {
            task.CustomerNumbers ??= [.. subjects];
            request.Tasks.Add(task);
            added.Add(task);
            return task;
        }

        foreach (var system in await registry.SystemsAsync(cancellationToken))
        {
            var categories = system.Categories.Where(scope.Contains).ToList();
            if (categories.Count == 0)
            {
                continue;
            }

            var (kept, erase) = keeps.Split(system.System, categories);
            foreach (var part in kept)
            {
                Add(new RequestTask
                {
                    RequestId = request.Id, TargetKind = TaskTargetKind.System, Target = system.System, Action = TaskAction.Restrict,
                    Categories = [.. part.Categories], KeptUnder = part.Ground, KeptUntil = part.KeptUntil, HoldId = part.HoldId, CreatedAt = now,
                });
            }

            if (erase.Count > 0)
            {
                Add(new RequestTask
                {
                    RequestId = request.Id, TargetKind = TaskTargetKind.System, Target = system.System, Action = SystemAction(request.Type),
                    Categories = [.. erase], CreatedAt = now,
                });
            }
        }

        if (request.Type is RequestType.Erasure or RequestType.Anonymisation
            && (request.Channel != RequestChannel.Retention || request.Categories?.Contains(ConsentCategory) == true))
        {
            // The service's own data: done at once, and recorded as a task like any system's (kept while a hold covers it).
            foreach (var customer in subjects)
            {
                var held = keeps.Split(null, [ConsentCategory, IpAddressCategory]).Kept.FirstOrDefault();
                var erased = held is null ? await consentErasure.EraseCustomerAsync(customer, cancellationToken) : null;
                Add(new RequestTask
                {
                    RequestId = request.Id, TargetKind = TaskTargetKind.System, Target = ServiceItself,
                    Action = held is null ? SystemAction(request.Type) : TaskAction.Restrict,
                    Categories = [ConsentCategory, IpAddressCategory], KeptUnder = held?.Ground, KeptUntil = held?.KeptUntil, HoldId = held?.HoldId,
                    Status = RequestTaskStatus.Done, Outcome = erased?.ToString() ?? "Kept, not used, while the legal hold lasts",
                    CreatedAt = now, CompletedAt = now, CompletedBy = actor,
                }).CustomerNumbers = [customer];
            }
        }

        // Recipients of a withdrawn consent's data were told by the withdrawal; an objection tells the others.
        var objectedElsewhere = request.Type == RequestType.Objection
            ? (await ObjectedPurposesAsync(request, cancellationToken)).Where(p => !withdrawn.Contains(p.Key)).Select(p => p.Key).ToList()
            : null;
        if (RecipientAction(request.Type) is { } action && objectedElsewhere is not [])
        {
            foreach (var customer in subjects)
            {
                // What recipients were given: held categories are restricted there too, the rest erased.
                var (kept, erase) = keeps.Split(null, [.. scope]);
                var parts = kept.Select(k => (Action: FollowUpAction.Restrict, Categories: (IReadOnlyCollection<string>?)k.Categories, Kept: (KeptPart?)k))
                    .Append((Action: action, Categories: kept.Count == 0 ? request.Categories : erase, Kept: null));
                foreach (var part in parts.Where(p => p.Categories is null || p.Categories.Count > 0))
                {
                    await RaiseAsync(request, customer, part.Action, part.Categories, objectedElsewhere, part.Kept, actor, now, Add, cancellationToken);
                }
            }
        }

        await SendSystemTasksAsync(request, added, actor, cancellationToken);
        audit.Record("rights_request.fanned_out", "rights_request", request.Id.ToString(), new
        {
            systems = added.Where(t => t.TargetKind == TaskTargetKind.System).Select(t => t.Target),
            recipients = added.Where(t => t.TargetKind == TaskTargetKind.Recipient).Select(t => t.Target),
            held = added.Where(t => t.HoldId is not null).Select(t => t.HoldId).Distinct(),
        });
    }

    /// <summary>
    /// The purposes an objection stops (Art 21). To direct marketing, or profiling for it: every direct-marketing purpose of the
    /// registry, at once and without grounds, whatever their legal basis (21(2)–(3)). To another purpose: that one (a purpose
    /// retired since: none, nothing processes for it).
    /// </summary>
    public async Task<IReadOnlyList<PurposeFacts>> ObjectedPurposesAsync(RightsRequest request, CancellationToken cancellationToken)
    {
        var purposes = await registry.PurposesAsync(cancellationToken);
        var objected = purposes.FirstOrDefault(p => p.Key == request.Purpose);
        return objected is null ? [] : objected.DirectMarketing ? [.. purposes.Where(p => p.DirectMarketing)] : [objected];
    }

    /// <summary>
    /// An objection to a purpose that rests on consent works as a withdrawal (Art 7(3), 21(3)): recorded for each covered customer
    /// as a withdrawal on the rights-request channel, which also tells each recipient given data under it (consent_withdrawn).
    /// </summary>
    private async Task<IReadOnlyList<string>> WithdrawObjectedConsentsAsync(
        RightsRequest request, IReadOnlyList<string> customers, string actor, CancellationToken cancellationToken)
    {
        var consents = (await ObjectedPurposesAsync(request, cancellationToken))
            .Where(p => p.LegalBasis == LegalBasis.Consent && p.DataSubjects.Contains(DataSubjectType.Customer)).Select(p => p.Key).ToList();
        if (consents.Count == 0 || customers.Count == 0)
        {
            return consents;
        }

        var http = httpContext.HttpContext ?? throw new InvalidOperationException("An objection is handled in the request of the person or ops who made it.");
        foreach (var customer in customers)
        {
            var written = await consentRecorder.RecordWithdrawalAsync(SubjectType.Customer, customer,
                new ConsentWithdrawalRequest(consents, null, ConsentChannel.RightsRequest, request.Language, null), http, cancellationToken);
            if (written.Errors.Count > 0 || written.Refused is not null)
            {
                throw new InvalidOperationException($"The objection's withdrawal was refused: {string.Join("; ", written.Errors.Keys)}");
            }

            request.Transitions.Add(new RequestTransition
            {
                RequestId = request.Id, From = request.Status, To = request.Status, At = time.GetUtcNow(), Actor = actor,
                Reason = $"Consent withdrawn for {string.Join(", ", consents)} (consent event {written.Recorded!.ReceiptId})",
            });
        }

        return consents;
    }

    /// <summary>The categories a request concerns: an objection's purpose's, a rectification's corrected ones, or the named (else all) ones.</summary>
    private async Task<IReadOnlyCollection<string>> ScopeAsync(RightsRequest request, CancellationToken cancellationToken) => request.Type switch
    {
        RequestType.Objection => (await ObjectedPurposesAsync(request, cancellationToken)).SelectMany(p => p.Categories).Distinct().ToList(),
        RequestType.Rectification or RequestType.Completion => [.. ChangesOf(request)!.Keys], // Art 16: the corrected categories
        _ => (IReadOnlyCollection<string>?)request.Categories ?? await registry.CategoryKeysAsync(cancellationToken),
    };

    /// <summary>Follow-ups to the recipients of <paramref name="customer"/>'s data, each a recipient task of the request.</summary>
    private async Task RaiseAsync(
        RightsRequest request, string customer, FollowUpAction action, IReadOnlyCollection<string>? categories, IReadOnlyCollection<string>? purposes,
        KeptPart? kept, string actor,
        DateTimeOffset now, Func<RequestTask, RequestTask> add, CancellationToken cancellationToken)
    {
        var raised = await followUps.RaiseAsync(new FollowUpSpec(customer, action, categories,
            Purposes: purposes,
            Corrections: ChangesOf(request),
            Reason: request.Channel == RequestChannel.Retention
                ? "Retention period ended"
                : kept is null
                    ? $"Rights request: {JsonNamingPolicy.SnakeCaseLower.ConvertName(request.Type.ToString())}"
                    : $"Rights request: {JsonNamingPolicy.SnakeCaseLower.ConvertName(request.Type.ToString())}; kept, restricted, under {kept.Ground}",
            Reference: $"rights-request:{request.Id}"), actor, cancellationToken);
        foreach (var followUp in raised)
        {
            add(new RequestTask
            {
                RequestId = request.Id, TargetKind = TaskTargetKind.Recipient, Target = followUp.RecipientKey,
                Action = kept is null ? SystemAction(request.Type) : TaskAction.Restrict, Categories = followUp.Categories, FollowUpId = followUp.Id,
                KeptUnder = kept?.Ground, KeptUntil = kept?.KeptUntil, HoldId = kept?.HoldId, CreatedAt = now,
            }).CustomerNumbers = [customer];
        }
    }

    /// <summary>Internal systems read their tasks (GET /requests/tasks) or, with a webhook endpoint, are sent each one.</summary>
    private async Task SendSystemTasksAsync(RightsRequest request, IEnumerable<RequestTask> tasks, string actor, CancellationToken cancellationToken)
    {
        await db.SaveChangesAsync(cancellationToken);
        foreach (var task in tasks.Where(t => t.TargetKind == TaskTargetKind.System && t.Status == RequestTaskStatus.Pending))
        {
            var release = await gate.ForSystemAsync(task.Target, cancellationToken);
            gate.Send(release, "rights_request.task",
                SystemTask(task, request, request.Customers.Select(c => c.CustomerNumber), VerifiedEmail(request.Identifiers), release),
                request.CustomerNumber ?? request.Id.ToString(),
                $"rights-request:{request.Id}", actor);
        }
    }

    /// <summary>The requester's e-mail address once verified: an unverified one never says whose data a system acts on.</summary>
    public static string? VerifiedEmail(IEnumerable<RequestIdentifier> identifiers) =>
        identifiers.FirstOrDefault(i => i.Kind == IdentifierKind.Email && i.Verified)?.Value;

    /// <summary>The proposed field values of a rectification or completion.</summary>
    public static Dictionary<string, string?>? ChangesOf(RightsRequest request) =>
        request.Changes is null ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(request.Changes, Json);

    /// <summary>
    /// A system's task as the system sees it: what to do, about whom, and where to report. Built from the system's release: the
    /// customer numbers the task covers (never an unverified one), the requester's e-mail address once verified, and the
    /// proposed values, each only of categories the registry says the system holds (and, for values, of the task's categories).
    /// </summary>
    public static SystemTaskResponse SystemTask(
        RequestTask task, RightsRequest request, IEnumerable<string> covered, string? verifiedEmail, Release release)
    {
        var customers = (task.CustomerNumbers ?? covered).Order(StringComparer.Ordinal).Select(c => release.Value(CustomerNumberCategory, c))
            .OfType<string>().ToList();
        return new SystemTaskResponse(
            task.Id, task.RequestId, request.Type, task.Action, customers.Contains(request.CustomerNumber ?? "") ? request.CustomerNumber : customers.FirstOrDefault(),
            customers, release.Value(EmailCategory, verifiedEmail), task.Categories,
            release.Values(ChangesOf(request)?.Where(c => task.Categories.Contains(c.Key)).ToDictionary()), request.Purpose,
            task.KeptUnder, task.KeptUntil, task.CreatedAt, $"/requests/tasks/{task.Id}/outcome");
    }

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
                    var outcome = $"Kept under legal hold #{released.Id} until {Retention.RetentionSchedules.SwedishDay(now):yyyy-MM-dd}, when it was released";
                    (task.KeptUnder, task.KeptUntil, task.Outcome) = (null, Retention.RetentionSchedules.SwedishDay(now), outcome);
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
