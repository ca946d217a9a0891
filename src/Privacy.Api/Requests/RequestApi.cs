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

/// <summary>Rights requests (R3): submitted, verified, fanned out to systems and recipients, completed on time, with proof.</summary>
public static partial class RequestApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string WebsiteReads =
        "The website's key acts for the signed-in customer (`X-Signed-In-Customer` header, required: 400 without it): it reads only " +
        "requests it submitted through the website for that customer; any other request, e.g. one ops entered from an e-mail, letter " +
        "or phone call, answers 404 as if it did not exist. Ops read every request.";

    private const string SystemReads =
        " The e-mail system's key (Requests:NotificationSystem) reads it only for a request it was sent the `completed` event of, whose " +
        "`report` or `export` field links here, to send it to the requester; every such read is audited. Other system keys: 404.";

    public static IServiceCollection AddRequests(this IServiceCollection services)
    {
        services.AddOptions<RequestsOptions>().BindConfiguration(RequestsOptions.Section)
            .Validate(o => o.DueSoonDays is >= 1 and <= 30, "Requests:DueSoonDays must be 1–30.")
            .Validate(o => o.StatutoryRetention.All(s => s.System.Length > 0 && s.Purpose.Length > 0),
                "Requests:StatutoryRetention entries need System and Purpose.")
            .ValidateOnStart();
        _ = RequestDeadlines.Stockholm; // deadlines are Swedish days: without the time zone (tzdata), fail at start, not on a request
        services.AddScoped<RequestWorkflow>();
        services.AddScoped<RequestIdentities>();
        services.AddScoped<ErasureExceptions>();
        services.AddScoped<AccessReports>();
        services.AddScoped<IFollowUpAcknowledgementHandler, RequestTaskAcknowledgements>();
        return services;
    }

    public static IEndpointRouteBuilder MapRequestApi(this IEndpointRouteBuilder routes)
    {
        var requests = routes.MapGroup("/requests").WithTags("Rights requests");
        requests.MapPost("/", Submit)
            .WithName("SubmitRightsRequest")
            .WithSummary("Submit a rights request (access, rectification, erasure, anonymisation, completion, restriction, portability, objection)")
            .WithDescription("The frontend submits for the signed-in customer: the `X-Signed-In-Customer` header names them (required: 400 " +
                             "without it), `subject.customerNumber` must be the same number (422 otherwise), channel web; the sign-in " +
                             "confirms the identity, so the request goes straight to the systems and recipients. Ops submit what arrived by e-mail, " +
                             "letter or phone, with `receivedAt` when it reached the company (default now; not in the future, at most a " +
                             "year back; the website may not send it), and confirm the identity afterwards. Due one month after receipt " +
                             "(Art 12(3)), counted in Swedish days as Regulation 1182/71 has it: the day of receipt does not count; the " +
                             "period ends with the same date of the next month (or its last day), moved to the next working day off a " +
                             "Saturday, Sunday, Swedish public holiday, midsommarafton, julafton or nyårsafton. `dueDate` is that day, " +
                             "`dueAt` its end (00:00 Stockholm time of the next day). " +
                             "A national identity number is validated (Luhn, real date) and kept only as a keyed hash.")
            .WithRequestExample(new SubmitRightsRequest(RequestType.Erasure, new SubjectIdentifiers("100234", "anna@example.com", null),
                RequestChannel.Letter, null, null, null, "sv", null, new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.FromHours(1))))
            .WithValidation<SubmitRightsRequest>()
            .ActsForSignedInCustomer<SubmitRightsRequest>(r => r.Subject?.CustomerNumber, "subject.customerNumber") // before a replay
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Policies.FrontendOrOps);
        requests.MapGet("/", List)
            .WithName("ListRightsRequests")
            .WithSummary("Open, due-soon and overdue requests for ops")
            .WithDescription("`due`: open (every open request), due_soon (open and due within `Requests:DueSoonDays`, default 7 days) or " +
                             "overdue (open past its due date, the extension counted). `status` filters by status. Oldest first; pass `next` as `after`.")
            .WithQueryValues<RequestStatus>("status")
            .WithQueryValues("due", ("open", "Every open request."), ("due_soon", "Open and due within Requests:DueSoonDays (default 7 days)."),
                ("overdue", "Open past its due date, the extension counted."))
            .RequireAuthorization(Policies.Ops);
        requests.MapGet("/{id:guid}", Get)
            .WithName("GetRightsRequest")
            .WithSummary("A request with its history (every transition, actor and time) and its tasks")
            .WithDescription("`transitions` lists every status change with actor, time and reason; `tasks` what each internal system " +
                             "and recipient was asked to do, with its outcome; `dueDate` and `extendedDueDate` the deadline (Art 12(3)), the " +
                             "Swedish day it falls on, and `dueAt` and `extendedDueAt` the instant that day ends. " +
                             WebsiteReads)
            .ActsForSignedInCustomer()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.FrontendOrOps);
        requests.MapPost("/{id:guid}/identity-verification", VerifyIdentity)
            .WithName("VerifyRequesterIdentity")
            .WithSummary("Confirm the requester's identity (Art 12(6)); the request then goes to every system and recipient holding the data")
            .WithDescription("Only a `received` request (409 otherwise). `method` records how the identity was checked; `identifiers` " +
                             "which of the given identifiers it confirmed (default: all). The verified identifiers decide the customer " +
                             "numbers covered: the customer number itself, or the one customer a national identity number matches in " +
                             "the disclosure log. When one matches several customers, 409 until ops record which (POST " +
                             "/requests/{id}/customers). The tasks are then created: one per internal system, and a follow-up per " +
                             "recipient in each covered customer's disclosure log.")
            .WithRequestExample(new VerifyIdentityRequest("Signed letter checked against the customer record"))
            .WithValidation<VerifyIdentityRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        requests.MapPost("/{id:guid}/identifiers/verification", ConfirmIdentifiers)
            .WithName("ConfirmRequestIdentifiers")
            .WithSummary("Confirm identifiers of an open request that nobody had verified (e.g. an e-mail sent with a website request)")
            .WithDescription("Records for each named identifier how, when and by whom it was confirmed (audited). It does not widen an " +
                             "in-progress request: the customer numbers it covers were fixed when the work went out. 422 for a kind the " +
                             "request was not given; 409 for a closed request.")
            .WithRequestExample(new VerifyIdentifiersRequest([IdentifierKind.Email], "The customer confirmed the address from the account's phone"))
            .WithValidation<VerifyIdentifiersRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .RequireAuthorization(Policies.Ops);
        requests.MapPost("/{id:guid}/customers", AddCustomer)
            .WithName("AddRequestCustomer")
            .WithSummary("Record that a request covers a customer number, and why (matched by hand from an e-mail or personnummer; one person, two accounts)")
            .WithDescription("While the request is open (409 once it has ended). Before the identity is verified, the tasks and follow-ups go " +
                             "out for every customer number covered then; once the work is out, the added customer number gets tasks and " +
                             "follow-ups of its own at once (`customerNumbers` on those tasks names it). `identifiers[].matches` on the request " +
                             "shows ops which customer numbers each identifier matches. Audited with the reason.")
            .WithRequestExample(new AddRequestCustomerRequest("100235", "Same person: a second account opened for the company's bookings"))
            .WithValidation<AddRequestCustomerRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        requests.MapPost("/{id:guid}/rejection", Reject)
            .WithName("RejectRightsRequest")
            .WithSummary("Reject a request: identity not confirmed (Art 12(6)), or manifestly unfounded or excessive (Art 12(5))")
            .WithDescription("`identity_not_confirmed` only while the request is `received`; `manifestly_unfounded` and `excessive` also " +
                             "once the identity is verified (409 otherwise). The requester is told, with the ground and the reason.")
            .WithRequestExample(new RejectRightsRequest(RejectionGround.IdentityNotConfirmed, "No answer to two requests for identification"))
            .WithValidation<RejectRightsRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        requests.MapPost("/{id:guid}/extension", Extend)
            .WithName("ExtendRightsRequest")
            .WithSummary("Extend the deadline once by one or two months with the reason the requester is told (Art 12(3))")
            .WithDescription("Only an open request, only once, and only within the first month, while the requester can still be told " +
                             "in time (Art 12(3); 409 otherwise). The extended period is 1 + `months` months from receipt, counted like the " +
                             "first; `extendedDueDate`/`extendedDueAt` become the deadline; the requester is told the new date and the reason.")
            .WithRequestExample(new ExtendRightsRequest(2, "The request covers twelve years of bookings across three systems"))
            .WithValidation<ExtendRightsRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        requests.MapPost("/{id:guid}/closure", Close)
            .WithName("CloseRightsRequest")
            .WithSummary("Close an in-progress request whose tasks have not all completed, with the reason")
            .WithDescription("Only an `in_progress` request (409 otherwise). It ends `partially_completed` while a task is not done or " +
                             "data is kept by law (`completed` otherwise), with the reason as its resolution; the requester is told.")
            .WithRequestExample(new CloseRightsRequest("The booking system was retired; its data was deleted with it"))
            .WithValidation<CloseRightsRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        requests.MapGet("/{id:guid}/report", Report)
            .WithName("GetAccessReport")
            .WithSummary("The Art 15 access report of an access request: JSON, or a readable page (format=html) in the request's language")
            .WithDescription("Categories processed, purposes and legal bases, retention, the recipients actually disclosed to (from the " +
                             "disclosure log) with dates, the source, the consent history, what the systems returned, the subject's rights " +
                             "and the right to complain to IMY. Only once the identity is confirmed (Art 12(6)). " + WebsiteReads + SystemReads)
            .ActsForSignedInCustomer()
            .Produces<AccessReport>(StatusCodes.Status200OK, "application/json", "text/html")
            .WithQueryValues("format", ("json", "The report as JSON (the default)."), ("html", "A readable page in the request's language."))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.NotPartner);
        requests.MapGet("/{id:guid}/export", Export)
            .WithName("GetPortabilityExport")
            .WithSummary("The Art 20 export of a portability request: the data the subject provided and what the systems returned, as JSON")
            .WithDescription("Only for a portability request whose requester's identity is confirmed (409 for another type of request, " +
                             "or before confirmation). Machine-readable, for the subject to take elsewhere. " + WebsiteReads + SystemReads)
            .ActsForSignedInCustomer()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.NotPartner);
        requests.MapGet("/tasks", ListSystemTasks)
            .WithName("ListSystemTasks")
            .WithSummary("An internal system's open tasks: what to erase, anonymise, rectify, restrict or export, for whom")
            .WithDescription("Oldest first; pass `next` as `after`. A key bound to a system (ApiKeys:Keys:N:System) sees only that system's " +
                             "tasks and may leave out `system`. Report each with POST /requests/tasks/{id}/outcome. A system with a webhook " +
                             "endpoint (PUT /notifier/endpoints/{system}) is also sent each task as a signed `rights_request.task` event. " +
                             "Recipients get theirs as follow-ups in the partner feed and webhook instead.")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.OpsOrSystem);
        requests.MapPost("/tasks/{taskId:long}/outcome", ReportOutcome)
            .WithName("ReportTaskOutcome")
            .WithSummary("Report an internal system's task as done (with the data, for access and portability) or failed (with the reason)")
            .WithDescription("Only an internal system's task: a recipient's completes with its follow-up's acknowledgement (404 here). " +
                             "A key bound to a system answers only that system's tasks (another's: 404). 409 once the task is done or the " +
                             "request closed; a failed task may be reported again. When every task is done the request completes.")
            .WithRequestExample(new TaskOutcomeRequest(RequestTaskStatus.Done, null, null))
            .WithValidation<TaskOutcomeRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.OpsOrSystem);
        return routes;
    }

    public static async Task<Results<Created<RightsRequestResponse>, ValidationProblem, ProblemHttpResult>> Submit(
        SubmitRightsRequest request, HttpContext http, PrivacyDbContext db, RequestWorkflow workflow, RequestIdentities identities,
        RegistryCatalog registry, SubjectHasher subjects, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = http.User.GetActor();
        var errors = new Dictionary<string, string[]>();
        var fromWebsite = actor.Role == Roles.Frontend;
        if (fromWebsite && request.Subject!.CustomerNumber is null)
        {
            errors["subject.customerNumber"] = ["'customerNumber' is required: the website submits for the signed-in customer."];
        }

        if (fromWebsite && request.Channel is not (null or RequestChannel.Web))
        {
            errors["channel"] = ["'channel' is web for the website."];
        }

        if (fromWebsite && request.ReceivedAt is not null)
        {
            errors["receivedAt"] = ["'receivedAt' is left out by the website: a request it submits is received now."];
        }

        if (!fromWebsite && request.Channel is null)
        {
            errors["channel"] = ["'channel' must say how the request arrived: email, letter, phone or web."];
        }

        var (registryErrors, refused) = await CheckAgainstRegistryAsync(request.Categories, request.Changes, request.Purpose, registry, cancellationToken);
        foreach (var (field, messages) in registryErrors)
        {
            errors[field] = messages;
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (refused is not null)
        {
            return refused;
        }

        var rights = NewRequest(request, request.Channel ?? RequestChannel.Web, actor.KeyId, subjects, time.GetUtcNow());
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        db.Add(rights);
        workflow.Transition(rights, RequestStatus.Received, actor.KeyId, $"via {rights.Channel.ToString().ToLowerInvariant()}" +
            (request.ReceivedAt is null ? "" : $", received {RequestDeadlines.SwedishDay(rights.ReceivedAt):yyyy-MM-dd}"));
        await workflow.NotifyRequesterAsync(rights, "received", cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        if (fromWebsite)
        {
            // The sign-in verifies the customer number only; the request covers that customer alone.
            await identities.VerifyBySignInAsync(rights, actor.KeyId, cancellationToken);
            await identities.CoverAsync(rights, actor.KeyId, cancellationToken);
            await workflow.StartAsync(rights, actor.KeyId, "Signed in to the website", cancellationToken);
        }

        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        return TypedResults.Created($"/requests/{rights.Id}", Response(rights, fromWebsite ? null : await identities.MatchesOfAsync(rights, cancellationToken)));
    }

    public static async Task<Results<Ok<RightsRequestPage>, ValidationProblem>> List(
        PrivacyDbContext db, TimeProvider time, IOptions<RequestsOptions> options, string? status, string? due, Guid? after, int? limit,
        CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        var statusValue = EnumQuery.Parse<RequestStatus>(status, "status", errors);
        if (due is not (null or "open" or "due_soon" or "overdue"))
        {
            errors["due"] = ["'due' must be one of: open, due_soon, overdue."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = time.GetUtcNow();
        var soon = now.AddDays(options.Value.DueSoonDays);
        var open = new[] { RequestStatus.Received, RequestStatus.IdentityVerified, RequestStatus.InProgress };
        var query = db.Set<RightsRequest>().AsNoTracking();
        if (after is not null)
        {
            query = query.Where(r => r.Id.CompareTo(after.Value) > 0);
        }

        if (statusValue is not null)
        {
            query = query.Where(r => r.Status == statusValue);
        }

        query = due switch
        {
            "open" => query.Where(r => open.Contains(r.Status)),
            "due_soon" => query.Where(r => open.Contains(r.Status) && (r.ExtendedDueAt ?? r.DueAt) >= now && (r.ExtendedDueAt ?? r.DueAt) < soon),
            "overdue" => query.Where(r => open.Contains(r.Status) && (r.ExtendedDueAt ?? r.DueAt) < now),
            _ => query,
        };
        var items = await query.OrderBy(r => r.Id).Take(size)
            .Select(r => new RightsRequestSummary(r.Id, r.Type, r.Status, r.Channel, r.ReceivedAt, r.ExtendedDueAt ?? r.DueAt,
                RequestDeadlines.DayEndedBy(r.ExtendedDueAt ?? r.DueAt), open.Contains(r.Status) && (r.ExtendedDueAt ?? r.DueAt) < now,
                r.Tasks.Count(t => t.Status == RequestTaskStatus.Pending || t.Status == RequestTaskStatus.Failed)))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new RightsRequestPage(items, items.Count == size ? items[^1].Id.ToString() : null));
    }

    /// <summary>
    /// A new request's categories, changes and objected purpose checked against the registry: errors by field, or the refusal of
    /// an objection to a purpose that carries no right to object.
    /// </summary>
    internal static async Task<(Dictionary<string, string[]> Errors, ProblemHttpResult? Refused)> CheckAgainstRegistryAsync(
        IReadOnlyList<string>? categories, IReadOnlyDictionary<string, string?>? changes, string? purposeKey, RegistryCatalog registry,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (categories is not null || changes is not null)
        {
            var known = await registry.CategoryKeysAsync(cancellationToken);
            for (var i = 0; i < (categories?.Count ?? 0); i++)
            {
                if (!known.Contains(categories![i]))
                {
                    errors[$"categories[{i}]"] = ["Not a category in the registry."];
                }
            }

            // Keyed by category, so each system and recipient is told only the values of categories it holds (Art 19).
            foreach (var key in (changes?.Keys ?? []).Where(k => !known.Contains(k)))
            {
                errors[$"changes.{key}"] = ["Not a category in the registry: changes are keyed by category (e.g. user.contact.email)."];
            }
        }

        if (purposeKey is null || errors.Count > 0)
        {
            return (errors, null);
        }

        var purpose = (await registry.PurposesAsync(cancellationToken)).FirstOrDefault(p => p.Key == purposeKey);
        if (purpose is null)
        {
            errors["purpose"] = ["'purpose' is not a purpose in the registry."];
            return (errors, null);
        }

        // Art 21(2)–(3): an objection to direct marketing is absolute, whatever its basis; one to a purpose resting on consent works
        // as the withdrawal (Art 7(3)); Art 21(1) covers legitimate interests and public tasks. Nothing else carries a right to object.
        if (!purpose.DirectMarketing && purpose.LegalBasis is not (LegalBasis.Consent or LegalBasis.LegitimateInterests or LegalBasis.PublicTask))
        {
            return (errors, TypedResults.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "No right to object to this purpose",
                detail: $"'{purpose.Key}' rests on {LegalGroundText(purpose.LegalBasis)}; the right to object (Art 21) covers direct marketing, " +
                        "processing on legitimate interests or a public task, and consent (which is then withdrawn)."));
        }

        return (errors, null);
    }

    /// <summary>
    /// A new request, received (by <paramref name="channel"/>, from <paramref name="submittedBy"/>), with its identifiers given and
    /// none verified, due one month after receipt (Art 12(3)). A national identity number is kept only as keyed hashes.
    /// </summary>
    internal static RightsRequest NewRequest(SubmitRightsRequest request, RequestChannel channel, string submittedBy, SubjectHasher subjects, DateTimeOffset now)
    {
        var nationalIdHashes = subjects.HashesUnderEveryKey(request.Subject!.NationalIdentityNumber);
        var receivedAt = request.ReceivedAt?.ToUniversalTime() ?? now; // Art 12(3): the deadline counts from receipt, not from the keying
        var rights = new RightsRequest
        {
            Id = Guid.CreateVersion7(now),
            Type = request.Type!.Value,
            Channel = channel,
            CustomerNumber = request.Subject!.CustomerNumber,
            Email = request.Subject.Email,
            NationalIdHash = nationalIdHashes.Count > 0 ? nationalIdHashes[0] : null,
            NationalIdKeyId = nationalIdHashes.Count > 0 ? subjects.CurrentKeyId : null,
            Language = request.Language ?? "sv",
            Changes = request.Changes is null ? null : JsonSerializer.Serialize(request.Changes, Json),
            Categories = request.Categories?.ToList(),
            Purpose = request.Purpose,
            Note = request.Note,
            ReceivedAt = receivedAt,
            DueAt = RequestDeadlines.DueAt(receivedAt),
            SubmittedBy = submittedBy,
        };
        rights.Identifiers = RequestIdentities.Given(rights.Id, rights.CustomerNumber, rights.Email, nationalIdHashes, subjects.CurrentKeyId);
        return rights;
    }

    private static string LegalGroundText(LegalBasis basis) => basis switch
    {
        LegalBasis.Contract => "a contract with the person (Art 6(1)(b))",
        LegalBasis.LegalObligation => "a legal obligation (Art 6(1)(c))",
        LegalBasis.VitalInterests => "vital interests (Art 6(1)(d))",
        _ => JsonNamingPolicy.SnakeCaseLower.ConvertName(basis.ToString()),
    };

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no request {id}.");

    internal static RightsRequestResponse Response(RightsRequest r, IReadOnlyList<IdentifierMatches>? matches = null) => new(
        r.Id, r.Type, r.Status, r.Channel, r.CustomerNumber, r.Email, r.NationalIdHash is not null, r.Language,
        RequestWorkflow.ChangesOf(r), r.Categories, r.Purpose, r.ReceivedAt,
        r.DueAt, RequestDeadlines.DayEndedBy(r.DueAt), r.ExtendedDueAt, r.ExtendedDueAt is { } extended ? RequestDeadlines.DayEndedBy(extended) : null,
        r.ExtensionReason, r.ClosedAt, r.Resolution,
        [.. r.Transitions.OrderBy(t => t.At).ThenBy(t => t.Id).Select(t => new TransitionResponse(t.From, t.To, t.At, t.Actor, t.Reason))],
        [.. r.Tasks.OrderBy(t => t.Id).Select(TaskOf)],
        [.. r.Identifiers.OrderBy(i => i.Kind).Select(i => new IdentifierResponse(i.Kind, i.Verified, i.VerifiedHow, i.VerifiedAt, i.VerifiedBy,
            matches?.FirstOrDefault(m => m.Kind == i.Kind)?.CustomerNumbers))],
        [.. r.Customers.OrderBy(c => c.CustomerNumber, StringComparer.Ordinal)
            .Select(c => new CoveredCustomerResponse(c.CustomerNumber, c.MatchedBy, c.Reason, c.AddedBy, c.AddedAt))],
        [.. r.Messages.OrderBy(m => m.Id).Select(m => new RequestMessageResponse(m.Kind, m.Channel, m.Language, m.At, m.OutboxMessageId))]);

    private static TaskResponse TaskOf(RequestTask t) => new(
        t.Id, t.RequestId, t.TargetKind, t.Target, t.Action, t.Categories, t.KeptUnder, t.KeptUntil, t.FollowUpId, t.Status, t.Outcome, t.CreatedAt,
        t.CompletedAt, t.HoldId, t.CustomerNumbers);
}
