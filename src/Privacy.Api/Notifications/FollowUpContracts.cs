using FluentValidation;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;

namespace Privacy.Api.Notifications;

/// <summary>
/// Tell the recipients holding a customer's data to rectify, erase, anonymise or restrict it. Without
/// <c>recipient</c>, every recipient the disclosure log names; without <c>categories</c>, everything each was given.
/// <c>corrections</c> (rectify only) maps registry categories to their new values.
/// </summary>
public sealed record RaiseFollowUpRequest(
    string? CustomerNumber, FollowUpAction? Action, IReadOnlyList<string>? Categories, string? Recipient,
    IReadOnlyDictionary<string, string?>? Corrections, string? Reason, string? Reference);

public sealed record RaisedFollowUps(int Count, IReadOnlyList<FollowUpResponse> FollowUps);

/// <summary>A follow-up as ops see it: what was asked, of whom, and what the recipient answered.</summary>
public sealed record FollowUpResponse(
    long Id, Guid MessageId, string Recipient, FollowUpAction Action, string CustomerNumber, IReadOnlyList<string> Categories,
    IReadOnlyList<string> Purposes, string? Reason, string? Reference, string RequestedBy, DateTimeOffset CreatedAt,
    FollowUpStatus Status, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? AcknowledgementReason, DateTimeOffset? WebhookDeliveredAt);

/// <summary>A page of follow-ups; pass <c>next</c> as <c>after</c> for the next page (null at the end).</summary>
public sealed record FollowUpPage(IReadOnlyList<FollowUpResponse> Items, long? Next);

/// <summary>The follow-up as its recipient receives it (feed entry and webhook <c>data</c>).</summary>
/// <param name="Acknowledge">Where to report the outcome (<c>POST</c>, with the partner key).</param>
public sealed record FollowUpNotice(
    long Id, Guid MessageId, FollowUpAction Action, string CustomerNumber, IReadOnlyList<string> Categories, IReadOnlyList<string> Purposes,
    IReadOnlyDictionary<string, string?>? Corrections, string? Reason, string? Reference, DateTimeOffset CreatedAt, string Acknowledge);

/// <summary>The partner's answer to a follow-up: done, or failed with the reason.</summary>
public sealed record AcknowledgeFollowUpRequest(FollowUpStatus? Outcome, string? Reason);

public sealed record FollowUpAcknowledged(long Id, FollowUpStatus Status, DateTimeOffset AcknowledgedAt, string? Reason);

internal sealed class RaiseFollowUpRequestValidator : AbstractValidator<RaiseFollowUpRequest>
{
    public RaiseFollowUpRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(r => r.CustomerNumber).NotEmpty()
            .Must(n => ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
            .WithMessage("'customerNumber' is not a valid customer number.");
        RuleFor(r => r.Action).NotNull().IsInEnum()
            .NotEqual(FollowUpAction.ConsentWithdrawn)
            .WithMessage("'action' consent_withdrawn is raised by recording the withdrawal (the consent API), not here.");
        RuleFor(r => r.Categories).Must(c => c is null || (c.Count > 0 && c.Distinct().Count() == c.Count))
            .WithMessage("'categories' must be left out or list distinct categories.");
        RuleForEach(r => r.Categories).NotEmpty().MaximumLength(100);
        RuleFor(r => r.Categories).Null().When(r => r.Action == FollowUpAction.Rectify)
            .WithMessage("'categories' is left out for a rectification: it concerns the corrected categories, the keys of 'corrections'.");
        RuleFor(r => r.Recipient).MaximumLength(100);
        RuleFor(r => r.Corrections).NotEmpty().When(r => r.Action == FollowUpAction.Rectify)
            .WithMessage("'corrections' must name the corrected fields and their new values for a rectification.");
        RuleFor(r => r.Corrections).Empty().When(r => r.Action is not FollowUpAction.Rectify and not null)
            .WithMessage("'corrections' belongs only to a rectification.");
        RuleFor(r => r.Corrections)
            .Must(c => c is null || (c.Count <= 50 && c.All(e => e.Key.Length is > 0 and <= 100 && (e.Value?.Length ?? 0) <= 1000)))
            .WithMessage("'corrections' holds at most 50 fields, names of 1–100 characters and values of at most 1,000.");
        RuleFor(r => r.Reason).MaximumLength(1000);
        RuleFor(r => r.Reference).MaximumLength(200);
    }
}

internal sealed class AcknowledgeFollowUpRequestValidator : AbstractValidator<AcknowledgeFollowUpRequest>
{
    public AcknowledgeFollowUpRequestValidator()
    {
        RuleFor(r => r.Outcome).NotNull().IsInEnum().NotEqual(FollowUpStatus.Pending)
            .WithMessage("'outcome' must be done or failed.");
        RuleFor(r => r.Reason).NotEmpty().When(r => r.Outcome == FollowUpStatus.Failed)
            .WithMessage("'reason' must say why the follow-up failed.");
        RuleFor(r => r.Reason).MaximumLength(1000);
    }
}
