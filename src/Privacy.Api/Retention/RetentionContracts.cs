using FluentValidation;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;

namespace Privacy.Api.Retention;

/// <summary>A rule as ops set it: <c>period</c> is an ISO 8601 duration (P7Y, P12M, P30D, P0D).</summary>
public sealed record RetentionRuleRequest(string? Period, RetentionTrigger? Trigger, RetentionAction? Action, string? LegalReference, string? Note);

/// <summary>A rule; <c>store</c> names the service's own store it applies to, if any.</summary>
public sealed record RetentionRuleResponse(
    string Purpose, string Category, string Period, RetentionTrigger Trigger, RetentionAction Action, string? LegalReference, string Note,
    string? Store, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A category processed for a purpose (an active registry link) with no retention rule: its data is kept until one is set.</summary>
public sealed record RetentionGap(string Purpose, string PurposeName, string Category, string CategoryName);

/// <summary>One event a system reports about a customer: it starts the clocks of the rules waiting for it.</summary>
public sealed record ClockEvent(string? CustomerNumber, ClockEventKind? Kind, DateTimeOffset? OccurredAt);

/// <summary>
/// Up to 1,000 events from one internal system (a key bound to a system may leave out <c>system</c>). Only the latest event of
/// each kind per customer counts; older or repeated ones change nothing.
/// </summary>
public sealed record ClockEventBatch(string? System, IReadOnlyList<ClockEvent>? Events);

public sealed record ClockEventsAccepted(int Events, int Customers, int ClocksMoved);

/// <summary>A legal hold on a customer's data (or one category of it), with the reason and an optional end.</summary>
public sealed record PlaceLegalHold(string? CustomerNumber, string? Category, string? Reason, DateTimeOffset? EndsAt);

public sealed record ReleaseLegalHold(string? Reason);

/// <summary>What the sweep would do at <c>at</c>: the customers' due categories (and those a hold keeps), and the own stores' rows.</summary>
public sealed record RetentionDryRun(DateTimeOffset At, IReadOnlyList<DryRunSubject> Subjects, string? Next, IReadOnlyList<StoreSweep>? Stores);

public sealed record DryRunSubject(string CustomerNumber, IReadOnlyList<CategorySchedule> Due, IReadOnlyList<CategorySchedule> Held);

/// <summary>What a sweep did.</summary>
public sealed record RetentionSweepResult(int SubjectsEvaluated, IReadOnlyList<StoreSweep> Stores);

internal sealed class RetentionRuleRequestValidator : AbstractValidator<RetentionRuleRequest>
{
    public RetentionRuleRequestValidator()
    {
        RuleFor(r => r.Period).NotEmpty().Must(p => IsoPeriod.TryParse(p, out _))
            .WithMessage("'period' must be an ISO 8601 duration of at most a century, e.g. P7Y, P12M, P30D or P0D.");
        RuleFor(r => r.Trigger).NotNull().IsInEnum();
        RuleFor(r => r.Action).NotNull().IsInEnum();
        RuleFor(r => r.LegalReference).MaximumLength(300);
        RuleFor(r => r.Note).NotEmpty().WithMessage("'note' must say in plain language why the data is kept this long.").MaximumLength(2000);
    }
}

internal sealed class ClockEventBatchValidator : AbstractValidator<ClockEventBatch>
{
    public const int MaxEvents = 1000;

    public ClockEventBatchValidator(IOptions<ConsentOptions> options, TimeProvider time)
    {
        RuleFor(b => b.System).MaximumLength(100);
        RuleFor(b => b.Events).NotEmpty().WithMessage("'events' must hold 1 to 1000 events.")
            .Must(e => e is null || e.Count <= MaxEvents).WithMessage("'events' must hold 1 to 1000 events.");
        RuleForEach(b => b.Events).NotNull().WithMessage("An event must be an object.").ChildRules(e =>
        {
            e.RuleFor(x => x.CustomerNumber).NotEmpty().Must(n => n is null || ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
                .WithMessage("'customerNumber' is not a valid customer number.");
            e.RuleFor(x => x.Kind).NotNull().IsInEnum();
            e.RuleFor(x => x.OccurredAt).NotNull()
                .Must(at => at is null || at <= time.GetUtcNow().AddMinutes(5)).WithMessage("'occurredAt' must not be in the future.")
                .Must(at => at is null || at.Value.Year >= 1900).WithMessage("'occurredAt' must be after 1900.");
        }).When(b => b.Events is not null && b.Events.Count <= MaxEvents);
    }
}

internal sealed class PlaceLegalHoldValidator : AbstractValidator<PlaceLegalHold>
{
    public PlaceLegalHoldValidator(IOptions<ConsentOptions> options, TimeProvider time)
    {
        RuleFor(h => h.CustomerNumber).NotEmpty().Must(n => n is null || ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
            .WithMessage("'customerNumber' is not a valid customer number.");
        RuleFor(h => h.Category).MaximumLength(100);
        RuleFor(h => h.Reason).NotEmpty().WithMessage("'reason' must say why the data is held (e.g. the dispute).").MaximumLength(1000);
        RuleFor(h => h.EndsAt).Must(e => e is null || e > time.GetUtcNow()).WithMessage("'endsAt' must be in the future.");
    }
}

internal sealed class ReleaseLegalHoldValidator : AbstractValidator<ReleaseLegalHold>
{
    public ReleaseLegalHoldValidator() =>
        RuleFor(r => r.Reason).NotEmpty().WithMessage("'reason' must say why the hold ends.").MaximumLength(1000);
}
