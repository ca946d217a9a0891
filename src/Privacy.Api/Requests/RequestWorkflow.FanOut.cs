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

/// <summary>Rights requests: the fan-out into tasks for systems and recipients, and what each system is told.</summary>
public sealed partial class RequestWorkflow
{
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
}
