using FluentValidation;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Subjects;

namespace Privacy.Api.Requests;

/// <summary>Who the request is about: at least one identifier. A national identity number is kept only as a keyed hash.</summary>
public sealed record SubjectIdentifiers(string? CustomerNumber, string? Email, string? NationalIdentityNumber);

/// <summary>
/// A rights request. <c>changes</c> (registry category → proposed value) for rectification and completion; <c>purpose</c> for an
/// objection; <c>categories</c> to limit it (default: everything about the subject). <c>receivedAt</c>, ops only: when the request
/// reached the company (a letter's day of arrival), from which its deadline counts (Art 12(3)); default now.
/// </summary>
public sealed record SubmitRightsRequest(
    RequestType? Type, SubjectIdentifiers? Subject, RequestChannel? Channel, IReadOnlyDictionary<string, string?>? Changes,
    IReadOnlyList<string>? Categories, string? Purpose, string? Language, string? Note, DateTimeOffset? ReceivedAt = null);

/// <param name="Identifiers">Each identifier given, with its verification; for ops also the customer numbers it matches.</param>
/// <param name="Customers">The customer numbers the request covers, and what matched each (or why ops recorded it).</param>
/// <param name="DueDate">Art 12(3): the Swedish day the month from receipt ends on; <c>dueAt</c> is the end of that day (00:00 Stockholm time of the next).</param>
/// <param name="ExtendedDueDate">The Swedish day the extended period ends on; <c>extendedDueAt</c> is the end of that day.</param>
public sealed record RightsRequestResponse(
    Guid Id, RequestType Type, RequestStatus Status, RequestChannel Channel, string? CustomerNumber, string? Email, bool NationalIdentityNumberGiven,
    string Language, IReadOnlyDictionary<string, string?>? Changes, IReadOnlyList<string>? Categories, string? Purpose, DateTimeOffset ReceivedAt,
    DateTimeOffset DueAt, DateOnly DueDate, DateTimeOffset? ExtendedDueAt, DateOnly? ExtendedDueDate, string? ExtensionReason, DateTimeOffset? ClosedAt,
    string? Resolution,
    IReadOnlyList<TransitionResponse> Transitions, IReadOnlyList<TaskResponse> Tasks, IReadOnlyList<IdentifierResponse> Identifiers,
    IReadOnlyList<CoveredCustomerResponse> Customers, IReadOnlyList<RequestMessageResponse> Messages);

/// <summary>One message the requester was sent (through the e-mail system): which, when, in which language, by which outbox message.</summary>
public sealed record RequestMessageResponse(string Kind, string Channel, string Language, DateTimeOffset At, Guid OutboxMessageId);

/// <summary>
/// An identifier of the request (never the value of a national identity number) and its verification. <c>matches</c>: the customer
/// numbers it matches in what the service holds, shown to ops only (null for other callers).
/// </summary>
public sealed record IdentifierResponse(
    IdentifierKind Kind, bool Verified, string? VerifiedHow, DateTimeOffset? VerifiedAt, string? VerifiedBy, IReadOnlyList<string>? Matches);

/// <summary>A customer number the request covers: <c>matchedBy</c> the verified identifier, or recorded by ops with <c>reason</c>.</summary>
public sealed record CoveredCustomerResponse(string CustomerNumber, IdentifierKind? MatchedBy, string? Reason, string AddedBy, DateTimeOffset AddedAt);

/// <summary>Ops record that the request covers this customer number too, and why (e.g. one person with two accounts).</summary>
public sealed record AddRequestCustomerRequest(string? CustomerNumber, string? Reason);

/// <summary>Ops confirm identifiers of an open request (e.g. an e-mail address the website sent with a signed-in customer's request).</summary>
public sealed record VerifyIdentifiersRequest(IReadOnlyList<IdentifierKind>? Identifiers, string? Method);

public sealed record TransitionResponse(RequestStatus? From, RequestStatus To, DateTimeOffset At, string Actor, string? Reason);

/// <summary>One system's or recipient's part; <c>keptUnder</c>/<c>keptUntil</c> when the law makes it keep the data.</summary>
public sealed record TaskResponse(
    long Id, Guid RequestId, TaskTargetKind TargetKind, string Target, TaskAction Action, IReadOnlyList<string> Categories, string? KeptUnder,
    DateOnly? KeptUntil, long? FollowUpId, RequestTaskStatus Status, string? Outcome, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt,
    long? HoldId, IReadOnlyList<string>? CustomerNumbers);

/// <summary>
/// An internal system's task with the subject it is about: <c>customerNumbers</c> lists every customer number the request covers
/// (one person may have two accounts), or, for a task made when ops attached a customer number later, that one; <c>customerNumber</c>
/// is the requester's own among them. <c>email</c>: the requester's address once verified, for a system that holds e-mail addresses
/// (a request given only an e-mail address still reaches the data filed under it). Each only when the registry says the system
/// holds that category.
/// </summary>
public sealed record SystemTaskResponse(
    long Id, Guid RequestId, RequestType RequestType, TaskAction Action, string? CustomerNumber, IReadOnlyList<string> CustomerNumbers,
    string? Email, IReadOnlyList<string> Categories,
    IReadOnlyDictionary<string, string?>? Changes, string? Purpose, string? KeptUnder, DateOnly? KeptUntil, DateTimeOffset CreatedAt,
    string ReportAt);

public sealed record SystemTaskPage(IReadOnlyList<SystemTaskResponse> Items, long? Next);

/// <param name="DueAt">The deadline, the extension counted: the end of <paramref name="DueDate"/>, the Swedish day it falls on.</param>
public sealed record RightsRequestSummary(
    Guid Id, RequestType Type, RequestStatus Status, RequestChannel Channel, DateTimeOffset ReceivedAt, DateTimeOffset DueAt, DateOnly DueDate,
    bool Overdue, int OpenTasks);

public sealed record RightsRequestPage(IReadOnlyList<RightsRequestSummary> Items, string? Next);

/// <summary>
/// Identity confirmed (Art 12(6)): how, and which of the identifiers given that check confirmed (null: all of them). Only verified
/// identifiers decide which customer numbers the request covers.
/// </summary>
public sealed record VerifyIdentityRequest(string? Method, IReadOnlyList<IdentifierKind>? Identifiers = null);

public enum RejectionGround
{
    /// <summary>Art 12(6): the requester's identity could not be confirmed.</summary>
    IdentityNotConfirmed = 1,

    /// <summary>Art 12(5): manifestly unfounded.</summary>
    ManifestlyUnfounded,

    /// <summary>Art 12(5): excessive, in particular repetitive.</summary>
    Excessive,

    /// <summary>Art 21(1): an objection to processing on legitimate interests or a public task, where compelling legitimate grounds override it (never direct marketing).</summary>
    CompellingLegitimateGrounds,

    /// <summary>Art 17(3): an erasure the law does not require, e.g. for freedom of expression, a legal obligation or legal claims.</summary>
    ErasureException,
}

public sealed record RejectRightsRequest(RejectionGround? Ground, string? Reason);

/// <summary>Art 12(3): once, by one or two months, with the reason the requester is told.</summary>
public sealed record ExtendRightsRequest(int? Months, string? Reason);

/// <summary>Close a request whose tasks have not all completed, with the reason.</summary>
public sealed record CloseRightsRequest(string? Reason);

/// <summary>A system's outcome: done or failed (with the reason); for access and portability, the data it holds.</summary>
public sealed record TaskOutcomeRequest(RequestTaskStatus? Outcome, string? Note, System.Text.Json.JsonElement? Result);

internal sealed class SubmitRightsRequestValidator : AbstractValidator<SubmitRightsRequest>
{
    /// <summary>
    /// How far back a received date may go: a guard against typos (2025 for 2026). A request that reached the company more than
    /// a year before it is keyed in is past every deadline Art 12(3) allows anyway.
    /// </summary>
    public static readonly TimeSpan OldestReceipt = TimeSpan.FromDays(366);

    public SubmitRightsRequestValidator(IOptions<ConsentOptions> options, SubjectHasher subjects, TimeProvider time)
    {
        RuleFor(r => r.Type).NotNull().IsInEnum();
        RuleFor(r => r.Channel).IsInEnum().NotEqual(RequestChannel.Retention).WithMessage("'channel' retention is reserved for the retention sweep.")
            .NotEqual(RequestChannel.PrivacyCenter).WithMessage("'channel' privacy_center is the privacy center's own (POST /privacy-center/requests).");
        RuleFor(r => r.Subject).Must(x => x is not null && (x.CustomerNumber is not null || x.Email is not null || x.NationalIdentityNumber is not null))
            .WithMessage("'subject' must name the person: customerNumber, email or nationalIdentityNumber.");
        RuleFor(r => r.Subject!).ChildRules(s =>
        {
            s.RuleFor(x => x.CustomerNumber).Must(n => n is null || ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
                .WithMessage("'customerNumber' is not a valid customer number.");
            s.RuleFor(x => x.Email).MaximumLength(320).EmailAddress().WithMessage("'email' is not an e-mail address.");
            s.RuleFor(x => x.NationalIdentityNumber).Must(n => n is null || subjects.HashNationalIdentityNumber(n) is not null)
                .WithMessage("'nationalIdentityNumber' is not a valid personnummer, samordningsnummer or organisationsnummer (Luhn check digit, real date).");
        }).When(r => r.Subject is not null);
        RuleFor(r => r.Changes).NotEmpty().When(r => r.Type is RequestType.Rectification or RequestType.Completion)
            .WithMessage("'changes' must name the fields to correct or complete and their proposed values.");
        RuleFor(r => r.Changes).Empty().When(r => r.Type is not (RequestType.Rectification or RequestType.Completion) and not null)
            .WithMessage("'changes' belongs only to rectification and completion.");
        RuleFor(r => r.Categories).Null().When(r => r.Type is RequestType.Rectification or RequestType.Completion)
            .WithMessage("'categories' is left out for rectification and completion: they concern the categories named in 'changes'.");
        RuleFor(r => r.Changes)
            .Must(c => c is null || (c.Count <= 50 && c.All(e => e.Key.Length is > 0 and <= 100 && (e.Value?.Length ?? 0) <= 1000)))
            .WithMessage("'changes' holds at most 50 fields, names of 1–100 characters and values of at most 1,000.");
        RuleFor(r => r.Purpose).NotEmpty().When(r => r.Type == RequestType.Objection)
            .WithMessage("'purpose' must name the purpose objected to.");
        RuleFor(r => r.Purpose).Empty().When(r => r.Type is not RequestType.Objection and not null)
            .WithMessage("'purpose' belongs only to an objection.");
        RuleFor(r => r.Categories).Must(c => c is null || (c.Count > 0 && c.Distinct().Count() == c.Count))
            .WithMessage("'categories' must be left out or list distinct categories.");
        RuleFor(r => r.Language).Must(l => l is null or "sv" or "en").WithMessage("'language' must be sv or en.");
        RuleFor(r => r.Note).MaximumLength(2000);
        // Art 12(3) counts from receipt: a request cannot be received after it is keyed in.
        RuleFor(r => r.ReceivedAt).Must(at => at <= time.GetUtcNow()).When(r => r.ReceivedAt is not null)
            .WithMessage("'receivedAt' is in the future: it is when the request reached the company.");
        RuleFor(r => r.ReceivedAt).Must(at => at >= time.GetUtcNow() - OldestReceipt).When(r => r.ReceivedAt is not null)
            .WithMessage("'receivedAt' may be at most a year (366 days) back.");
    }
}

internal sealed class VerifyIdentityRequestValidator : AbstractValidator<VerifyIdentityRequest>
{
    public VerifyIdentityRequestValidator()
    {
        RuleFor(r => r.Method).NotEmpty().MaximumLength(500).WithMessage("'method' must say how the identity was confirmed (e.g. BankID sign-in).");
        RuleFor(r => r.Identifiers).Must(i => i is null || (i.Count > 0 && i.Distinct().Count() == i.Count))
            .WithMessage("'identifiers' must be left out (all) or list distinct kinds: customer_number, email, national_identity_number.");
        RuleForEach(r => r.Identifiers).IsInEnum();
    }
}

internal sealed class VerifyIdentifiersRequestValidator : AbstractValidator<VerifyIdentifiersRequest>
{
    public VerifyIdentifiersRequestValidator()
    {
        RuleFor(r => r.Method).NotEmpty().MaximumLength(500).WithMessage("'method' must say how the identifiers were confirmed.");
        RuleFor(r => r.Identifiers).NotEmpty().Must(i => i is null || i.Distinct().Count() == i.Count)
            .WithMessage("'identifiers' must list distinct kinds: customer_number, email, national_identity_number.");
        RuleForEach(r => r.Identifiers).IsInEnum();
    }
}

internal sealed class AddRequestCustomerRequestValidator : AbstractValidator<AddRequestCustomerRequest>
{
    public AddRequestCustomerRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(r => r.CustomerNumber).NotEmpty().Must(n => ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
            .WithMessage("'customerNumber' is not a valid customer number.");
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(1000).WithMessage("'reason' must say why the request covers this customer number too.");
    }
}

internal sealed class RejectRightsRequestValidator : AbstractValidator<RejectRightsRequest>
{
    public RejectRightsRequestValidator()
    {
        RuleFor(r => r.Ground).NotNull().IsInEnum();
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(1000);
    }
}

internal sealed class ExtendRightsRequestValidator : AbstractValidator<ExtendRightsRequest>
{
    public ExtendRightsRequestValidator()
    {
        // Art 12(3): "by two further months where necessary".
        RuleFor(r => r.Months).NotNull().InclusiveBetween(1, 2).WithMessage("'months' must be 1 or 2 (Art 12(3) allows at most two further months).");
        RuleFor(r => r.Reason).NotEmpty().MaximumLength(1000);
    }
}

internal sealed class CloseRightsRequestValidator : AbstractValidator<CloseRightsRequest>
{
    public CloseRightsRequestValidator() => RuleFor(r => r.Reason).NotEmpty().MaximumLength(1000);
}

internal sealed class TaskOutcomeRequestValidator : AbstractValidator<TaskOutcomeRequest>
{
    public TaskOutcomeRequestValidator()
    {
        RuleFor(r => r.Outcome).NotNull().IsInEnum().Must(o => o is RequestTaskStatus.Done or RequestTaskStatus.Failed)
            .WithMessage("'outcome' must be done or failed.");
        RuleFor(r => r.Note).NotEmpty().When(r => r.Outcome == RequestTaskStatus.Failed).WithMessage("'note' must say why the task failed.");
        RuleFor(r => r.Note).MaximumLength(1000);
        RuleFor(r => r.Result).Must(r => r is null || r.Value.ValueKind is System.Text.Json.JsonValueKind.Object or System.Text.Json.JsonValueKind.Null)
            .WithMessage("'result' must be a JSON object.");
    }
}
