using System.Net;
using System.Text.RegularExpressions;
using FluentValidation;
using Microsoft.Extensions.Options;

namespace Privacy.Api.Consent;

/// <summary>Granted or denied, and for state reads also never asked.</summary>
public enum ConsentStatus
{
    /// <summary>The person consented to the purpose.</summary>
    Granted = 1,

    /// <summary>The person refused, or withdrew, consent to the purpose (or Global Privacy Control denied it).</summary>
    Denied,

    /// <summary>Only in state reads: no decision has been recorded for the purpose.</summary>
    NeverAsked,
}

internal static class ConsentStatuses
{
    public static ConsentStatus Of(bool granted) => granted ? ConsentStatus.Granted : ConsentStatus.Denied;
}

/// <summary>Whose consent: <c>customer</c> with the customer number, or <c>visitor</c> with the id from the consent cookie.</summary>
public sealed record SubjectRequest(SubjectType? Type, string? Id);

/// <summary>The choice for one purpose: <c>granted</c> or <c>denied</c>.</summary>
public sealed record ConsentChoiceRequest(string? Purpose, ConsentStatus? Status);

/// <summary>The notice shown: an identifier, and the SHA-256 (hex) of its exact text or the text itself (hashed here).</summary>
public sealed record NoticeRequest(string? Id, string? Hash, string? Text);

/// <summary>
/// The person's IP address and user agent as proof. When the website's server posts on the person's
/// behalf it passes them here; otherwise the request's own are used.
/// </summary>
public sealed record ProofRequest(string? IpAddress, string? UserAgent);

/// <summary>One consent decision.</summary>
/// <param name="Gpc">The frontend saw a Global Privacy Control signal (the <c>Sec-GPC: 1</c> header counts too).</param>
public sealed record ConsentDecisionRequest(
    SubjectRequest? Subject,
    IReadOnlyList<ConsentChoiceRequest>? Choices,
    string? PolicyVersion,
    ConsentChannel? Channel,
    NoticeRequest? Notice,
    string? Language,
    bool? Gpc,
    ProofRequest? Proof);

/// <summary>Withdraws the named purposes, or every consent purpose with <c>all: true</c>.</summary>
public sealed record ConsentWithdrawalRequest(
    IReadOnlyList<string>? Purposes,
    bool? All,
    ConsentChannel? Channel,
    string? Language,
    ProofRequest? Proof);

/// <summary>Links an anonymous visitor to the customer who logged in.</summary>
public sealed record SubjectLinkRequest(string? CustomerNumber);

/// <summary>A new version of the privacy policy.</summary>
public sealed record PublishPolicyVersionRequest(
    string? Version, DateTimeOffset? EffectiveFrom, bool? Material, string? Summary, string? TextSv, string? TextEn);

public sealed record SubjectRef(SubjectType Type, string Id);

/// <summary>A purpose that takes consent (or is always on).</summary>
/// <param name="DataSubjects">Whose consent to it may be recorded (the registry's); others are refused.</param>
/// <param name="ConsentChannels">
/// Where a consent to it may be given (the registry's): a decision that grants it on another channel is refused. A withdrawal or a
/// denial is taken on any channel (Art 7(3)).
/// </param>
public sealed record ConsentPurposeResponse(string Key, string Name, string? Description, bool AlwaysOn, bool LimitedByGpc,
    IReadOnlyList<Registry.DataSubjectType> DataSubjects, IReadOnlyList<ConsentChannel> ConsentChannels);

/// <summary>A subject's consent now, per purpose.</summary>
/// <param name="AskAgain">
/// True when the banner should ask: one of the purposes it asks about (<c>Banner:Purposes</c>) never asked, expired, or needing
/// re-consent. Other consent purposes (the newsletter) are asked where they are offered, so they never make the banner show.
/// </param>
public sealed record ConsentStateResponse(
    SubjectRef Subject, string? CurrentPolicyVersion, bool AskAgain, IReadOnlyList<PurposeConsentState> Purposes);

/// <summary>
/// The state of one purpose. <c>active</c> is what the website may rely on: granted, not expired, and not
/// given under a policy version that a material change has since replaced.
/// </summary>
public sealed record PurposeConsentState(
    string Purpose,
    ConsentStatus Status,
    bool Active,
    bool AlwaysOn,
    DateTimeOffset? Since,
    string? PolicyVersion,
    bool ReconsentRequired,
    bool Expired,
    DateTimeOffset? ExpiresAt,
    bool Withdrawn,
    bool Gpc,
    Guid? ReceiptId);

/// <summary>What was recorded, and the state that results.</summary>
public sealed record ConsentRecordedResponse(
    Guid ReceiptId, ConsentEventKind Kind, DateTimeOffset OccurredAt, bool Gpc, IReadOnlyList<RecordedChoice> Choices,
    ConsentStateResponse State);

/// <summary>One purpose's outcome: <c>deniedByGpc</c> when the person granted it but Global Privacy Control denied it.</summary>
public sealed record RecordedChoice(string Purpose, ConsentStatus Requested, ConsentStatus Recorded, bool DeniedByGpc);

public sealed record ConsentHistoryResponse(SubjectRef Subject, IReadOnlyList<ConsentEventResponse> Events);

/// <summary>One event of a subject's history, with its proof (null once retention erased it).</summary>
public sealed record ConsentEventResponse(
    Guid ReceiptId, ConsentEventKind Kind, DateTimeOffset OccurredAt, SubjectRef Subject, string PolicyVersion, ConsentChannel Channel,
    string? NoticeId, string? NoticeHash, string Language, bool Gpc, string? GpcSource, string RecordedBy,
    IReadOnlyList<RecordedChoice> Choices, string? IpAddress, string? UserAgent, DateTimeOffset? ProofErasedAt);

public sealed record SubjectLinkResponse(string VisitorId, string CustomerNumber, DateTimeOffset LinkedAt);

public sealed record PolicyVersionResponse(
    string Version, DateTimeOffset EffectiveFrom, bool Material, string? Summary, bool Current, string TextSvSha256, string TextEnSha256,
    DateTimeOffset PublishedAt, string? TextSv, string? TextEn);

internal static class ConsentRules
{
    public static readonly string[] Languages = ["sv", "en"];

    /// <summary>
    /// The patterns are configuration, so a match is bounded; generously, since a busy machine can pause a thread for tens of
    /// milliseconds (50 ms once timed out under a loaded test run, and the answer was a misleading 503).
    /// </summary>
    private static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    public static bool IsValidSubjectId(ConsentOptions options, SubjectType? type, string? id) =>
        id is not null && type switch
        {
            SubjectType.Customer => Regex.IsMatch(id, options.CustomerNumberPattern, RegexOptions.None, PatternTimeout),
            SubjectType.Visitor => Regex.IsMatch(id, options.VisitorIdPattern, RegexOptions.None, PatternTimeout),
            _ => false,
        };
}

internal sealed class NoticeRequestValidator : AbstractValidator<NoticeRequest>
{
    public NoticeRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(n => n.Id).MaximumLength(200);
        RuleFor(n => n.Text).MaximumLength(options.Value.MaxNoticeTextLength);
        RuleFor(n => n.Hash).Matches("^[0-9a-f]{64}$").WithMessage("'hash' must be the lower-case hex SHA-256 of the notice text.");
        RuleFor(n => n.Hash).NotEmpty().When(n => n.Text is null).WithMessage("'hash' is required when the notice text is not sent.");
    }
}

internal sealed class ProofRequestValidator : AbstractValidator<ProofRequest>
{
    public ProofRequestValidator()
    {
        RuleFor(p => p.IpAddress).Must(ip => ip is null || IPAddress.TryParse(ip, out _))
            .WithMessage("'ipAddress' must be an IPv4 or IPv6 address.");
        RuleFor(p => p.UserAgent).MaximumLength(1000);
    }
}

internal sealed class SubjectRequestValidator : AbstractValidator<SubjectRequest>
{
    public SubjectRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(s => s.Type).NotNull().IsInEnum();
        RuleFor(s => s.Id).NotEmpty()
            .Must((s, id) => ConsentRules.IsValidSubjectId(options.Value, s.Type, id))
            .When(s => s.Type is not null)
            .WithMessage(s => s.Type == SubjectType.Customer
                ? "'id' is not a valid customer number."
                : "'id' is not a valid visitor id (16–64 letters, digits, '-' or '_').");
    }
}

internal sealed class ConsentDecisionRequestValidator : AbstractValidator<ConsentDecisionRequest>
{
    public ConsentDecisionRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(r => r.Subject).NotNull().SetValidator(new SubjectRequestValidator(options)!);
        RuleFor(r => r.Choices).NotEmpty()
            .Must(c => c is null || c.Select(x => x?.Purpose).Distinct().Count() == c.Count).WithMessage("'choices' must name each purpose once.");
        RuleForEach(r => r.Choices).NotNull().WithMessage("A choice must be an object.").ChildRules(choice =>
        {
            choice.RuleFor(c => c.Purpose).NotEmpty().MaximumLength(100);
            choice.RuleFor(c => c.Status).NotNull()
                .Must(s => s is ConsentStatus.Granted or ConsentStatus.Denied).WithMessage("'status' must be granted or denied.");
        });
        RuleFor(r => r.PolicyVersion).NotEmpty().MaximumLength(32);
        RuleFor(r => r.Channel).NotNull().IsInEnum().NotEqual(ConsentChannel.RightsRequest)
            .WithMessage("'channel' rights_request is the service's own: an objection made by rights request (POST /requests) records it.")
            .NotEqual(ConsentChannel.OneClickUnsubscribe)
            .WithMessage("'channel' one_click_unsubscribe is the service's own: the signed unsubscribe link (POST /unsubscribe/{token}) records it.");
        RuleFor(r => r.Language).NotEmpty().Must(l => ConsentRules.Languages.Contains(l))
            .WithMessage("'language' must be sv or en.");
        RuleFor(r => r.Notice).NotNull().SetValidator(new NoticeRequestValidator(options)!);
        RuleFor(r => r.Proof).SetValidator(new ProofRequestValidator()!);
    }
}

internal sealed class ConsentWithdrawalRequestValidator : AbstractValidator<ConsentWithdrawalRequest>
{
    public ConsentWithdrawalRequestValidator()
    {
        RuleFor(r => r.Purposes).NotEmpty().When(r => r.All != true)
            .WithMessage("Name the 'purposes' to withdraw, or set 'all' to true.");
        RuleFor(r => r.Purposes).Empty().When(r => r.All == true)
            .WithMessage("'purposes' must be empty when 'all' is true.");
        RuleForEach(r => r.Purposes).NotEmpty().MaximumLength(100);
        RuleFor(r => r.Channel).NotNull().IsInEnum().NotEqual(ConsentChannel.RightsRequest)
            .WithMessage("'channel' rights_request is the service's own: an objection made by rights request (POST /requests) records it.")
            .NotEqual(ConsentChannel.OneClickUnsubscribe)
            .WithMessage("'channel' one_click_unsubscribe is the service's own: the signed unsubscribe link (POST /unsubscribe/{token}) records it.");
        RuleFor(r => r.Language).Must(l => l is null || ConsentRules.Languages.Contains(l)).WithMessage("'language' must be sv or en.");
        RuleFor(r => r.Proof).SetValidator(new ProofRequestValidator()!);
    }
}

internal sealed class SubjectLinkRequestValidator : AbstractValidator<SubjectLinkRequest>
{
    public SubjectLinkRequestValidator(IOptions<ConsentOptions> options) =>
        RuleFor(r => r.CustomerNumber).NotEmpty()
            .Must(n => ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
            .WithMessage("'customerNumber' is not a valid customer number.");
}

internal sealed class PublishPolicyVersionRequestValidator : AbstractValidator<PublishPolicyVersionRequest>
{
    public PublishPolicyVersionRequestValidator()
    {
        RuleFor(r => r.Version).NotEmpty().MaximumLength(32).Matches("^[0-9A-Za-z][0-9A-Za-z._-]*$")
            .WithMessage("'version' must be letters, digits, '.', '_' or '-', e.g. 2026-12-01.");
        RuleFor(r => r.EffectiveFrom).NotNull();
        RuleFor(r => r.Material).NotNull().WithMessage("'material' must say whether consents must be asked again.");
        RuleFor(r => r.Summary).MaximumLength(2000);
        RuleFor(r => r.TextSv).NotEmpty().MaximumLength(200_000);
        RuleFor(r => r.TextEn).NotEmpty().MaximumLength(200_000);
    }
}
