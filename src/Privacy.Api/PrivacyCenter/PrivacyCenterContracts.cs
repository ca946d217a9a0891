using FluentValidation;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// A request made in the privacy center. <c>subject.email</c> is required: the code goes there, and only a confirmed address
/// decides anything; <c>customerNumber</c> and <c>nationalIdentityNumber</c> are optional, and never widen the request by themselves.
/// <c>changes</c> (registry category → proposed value) for rectification and completion; <c>purpose</c> for an objection (a purpose
/// resting on consent: its withdrawal).
/// </summary>
public sealed record PrivacyCenterSubmission(
    RequestType? Type, SubjectIdentifiers? Subject, IReadOnlyDictionary<string, string?>? Changes, string? Purpose, string? Language, string? Note)
{
    /// <summary>The same request as a rights request of the privacy-center channel (validated by the same rules).</summary>
    public SubmitRightsRequest AsRightsRequest() => new(Type, Subject, RequestChannel.Web, Changes, null, Purpose, Language, Note);
}

/// <summary>
/// The answer to every accepted submission, whoever the address belongs to: the request's id (for entering the code) and until
/// when the code is valid. It says nothing about what the service holds.
/// </summary>
public sealed record PrivacyCenterAccepted(Guid RequestId, DateTimeOffset CodeExpiresAt, int AttemptsAllowed);

/// <summary>The code from the e-mail.</summary>
public sealed record CodeEntry(string? Code);

/// <summary>The e-mail address is confirmed: the request's status page (a signed link; also sent by e-mail).</summary>
public sealed record CodeAccepted(Guid RequestId, string StatusUrl, string StatusPath);

/// <summary>A new code was sent; the old one no longer works.</summary>
public sealed record CodeResent(Guid RequestId, DateTimeOffset CodeExpiresAt);

/// <summary>What the privacy center page offers, in one language.</summary>
/// <param name="WithdrawablePurposes">Purposes resting on a person's consent: withdrawing one is an objection to it (Art 7(3)).</param>
/// <param name="ObjectablePurposes">Purposes a person may object to (Art 21): direct marketing, legitimate interests, public task.</param>
/// <param name="Categories">What may be rectified or completed.</param>
public sealed record PrivacyCenterConfig(
    string Language, IReadOnlyList<RightText> Rights, IReadOnlyList<NamedEntry> WithdrawablePurposes, IReadOnlyList<NamedEntry> ObjectablePurposes,
    IReadOnlyList<NamedEntry> Categories, int CodeLength, int CodeValidityMinutes, string PolicyUrl);

public sealed record NamedEntry(string Key, string Name);

/// <summary>A request as its requester sees it on the status page (never its identifiers, tasks or whom it matched).</summary>
public sealed record PrivacyCenterStatus(
    Guid RequestId, string Type, string TypeName, string Status, string State, string Language, DateTimeOffset ReceivedAt, DateOnly DueDate,
    DateOnly? ExtendedDueDate, string? ExtensionReason, DateTimeOffset? ClosedAt, string? Outcome, string? ReportUrl, string? ExportUrl,
    DateTimeOffset? DownloadableUntil);

internal sealed class PrivacyCenterSubmissionValidator : AbstractValidator<PrivacyCenterSubmission>
{
    public PrivacyCenterSubmissionValidator(IValidator<SubmitRightsRequest> requests)
    {
        RuleFor(s => s.Subject).NotNull().WithMessage("'subject' must give at least the e-mail address the code is sent to.");
        RuleFor(s => s.Subject!.Email).NotEmpty().When(s => s.Subject is not null).OverridePropertyName("subject.email")
            .WithMessage("'email' is required: the code that confirms the request is sent there.");
        RuleFor(s => s).Custom((submission, context) =>
        {
            foreach (var failure in requests.Validate(submission.AsRightsRequest()).Errors)
            {
                context.AddFailure(failure);
            }
        });
    }
}

internal sealed class CodeEntryValidator : AbstractValidator<CodeEntry>
{
    public CodeEntryValidator() =>
        RuleFor(c => c.Code).NotEmpty().Matches("^[0-9]{6}$").WithMessage("'code' is the six digits from the e-mail.");
}
