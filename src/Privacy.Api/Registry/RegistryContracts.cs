using FluentValidation;
using Privacy.Api.Consent;

namespace Privacy.Api.Registry;

/// <summary>A request body that creates or replaces a registry entry.</summary>
public interface IRegistryRequest
{
    string? Key { get; }

    string? Name { get; }

    string? Description { get; }

    /// <summary>The name a person reads in Swedish (the access report); null: not translated, the report shows <c>name</c>.</summary>
    string? NameSv { get; }

    string? NameEn { get; }

    /// <summary>A plain-language description for a person, in Swedish.</summary>
    string? DescriptionSv { get; }

    string? DescriptionEn { get; }
}

/// <summary>A data category. <c>key</c> is its fideslang key, e.g. <c>user.contact.email</c>.</summary>
/// <remarks><c>nameSv</c>, <c>nameEn</c>, <c>descriptionSv</c>, <c>descriptionEn</c>: what a person reads in the access report.</remarks>
public sealed record DataCategoryRequest(
    string? Key, string? Name, string? Description, string? NameSv = null, string? NameEn = null, string? DescriptionSv = null,
    string? DescriptionEn = null) : IRegistryRequest;

/// <summary>A purpose of processing with its legal basis, the data subjects concerned and the retention limit.</summary>
/// <remarks>
/// <c>alwaysOn</c>: strictly necessary, shown by the consent banner but never denied.
/// <c>limitedByGpc</c>: sale/sharing-like, stored as denied when the browser sends Global Privacy Control.
/// <c>directMarketing</c>: direct marketing or profiling for it; an objection to it is absolute (Art 21(2)–(3)).
/// </remarks>
/// <param name="DataSubjects">Whom the purpose concerns; for a consent purpose, whose consent may be recorded (others are refused).</param>
/// <param name="ConsentChannels">
/// Required for a purpose that takes consent or is always on, and only for those: the channels a decision granting it may come
/// from (e.g. the newsletter never from the cookie banner). A withdrawal is taken on any channel (Art 7(3)).
/// </param>
public sealed record PurposeRequest(
    string? Key, string? Name, string? Description, LegalBasis? LegalBasis, IReadOnlyList<DataSubjectType>? DataSubjects,
    string? Retention, bool AlwaysOn = false, bool LimitedByGpc = false, IReadOnlyList<ConsentChannel>? ConsentChannels = null,
    bool DirectMarketing = false, string? NameSv = null, string? NameEn = null, string? DescriptionSv = null, string? DescriptionEn = null)
    : IRegistryRequest;

/// <summary>A recipient; outside the EU/EEA a transfer safeguard is required.</summary>
public sealed record RecipientRequest(
    string? Key, string? Name, string? Description, RecipientKind? Kind, string? Country, string? TransferSafeguard,
    string? Contact, string? NameSv = null, string? NameEn = null, string? DescriptionSv = null, string? DescriptionEn = null)
    : IRegistryRequest;

/// <summary>An internal system and the data categories it holds.</summary>
public sealed record InternalSystemRequest(
    string? Key, string? Name, string? Description, IReadOnlyList<string>? Categories, string? NameSv = null, string? NameEn = null,
    string? DescriptionSv = null, string? DescriptionEn = null) : IRegistryRequest;

/// <summary>Links a category to a purpose, and to a recipient when it is disclosed to one.</summary>
public sealed record ProcessingLinkRequest(string? Purpose, string? Category, string? Recipient);

/// <summary>A data category.</summary>
/// <param name="MissingTranslations">The texts for a person not given yet (<c>nameSv</c>, <c>nameEn</c>, <c>descriptionSv</c>,
/// <c>descriptionEn</c>): the access report shows <c>name</c> instead.</param>
public sealed record DataCategoryResponse(string Key, string Name, string? Description, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, DateTimeOffset? RetiredAt, string? NameSv, string? NameEn, string? DescriptionSv, string? DescriptionEn,
    IReadOnlyList<string> MissingTranslations);

/// <summary>A purpose of processing.</summary>
/// <param name="DataSubjects">Whom the purpose concerns; for a consent purpose, whose consent may be recorded.</param>
/// <param name="ConsentChannels">
/// For a purpose that takes consent or is always on: the channels a decision granting it may come from (empty for other purposes).
/// A withdrawal is taken on any channel (Art 7(3)).
/// </param>
/// <param name="MissingTranslations">The texts for a person not given yet: the access report shows <c>name</c> instead.</param>
public sealed record PurposeResponse(string Key, string Name, string? Description, LegalBasis LegalBasis,
    IReadOnlyList<DataSubjectType> DataSubjects, IReadOnlyList<ConsentChannel> ConsentChannels, string? Retention, bool AlwaysOn,
    bool LimitedByGpc, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? RetiredAt, bool DirectMarketing, string? NameSv, string? NameEn,
    string? DescriptionSv, string? DescriptionEn, IReadOnlyList<string> MissingTranslations);

public sealed record RecipientResponse(string Key, string Name, string? Description, RecipientKind Kind, string Country,
    bool OutsideEea, string? TransferSafeguard, string? Contact, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? RetiredAt, string? NameSv, string? NameEn, string? DescriptionSv, string? DescriptionEn,
    IReadOnlyList<string> MissingTranslations);

public sealed record InternalSystemResponse(string Key, string Name, string? Description, IReadOnlyList<string> Categories,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? RetiredAt, string? NameSv, string? NameEn,
    string? DescriptionSv, string? DescriptionEn, IReadOnlyList<string> MissingTranslations);

public sealed record ProcessingLinkResponse(long Id, string Purpose, string Category, string? Recipient,
    DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

internal static class RegistryRules
{
    /// <summary>Lower-case dotted keys: <c>user.contact.email</c>, <c>card-provider</c>, <c>newsletter</c>.</summary>
    public const string KeyPattern = "^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$";

    public static void EntryRules<T>(this AbstractValidator<T> validator) where T : IRegistryRequest
    {
        validator.RuleFor(r => r.Key).NotEmpty().MaximumLength(100).Matches(KeyPattern)
            .WithMessage("'key' must be lower-case letters, digits, '_' or '-', in dot-separated parts (e.g. user.contact.email).");
        validator.RuleFor(r => r.Name).NotEmpty().MaximumLength(200);
        validator.RuleFor(r => r.Description).MaximumLength(2000);

        // Art 12(1): what a person reads is plain language, never the key.
        validator.RuleFor(r => r.NameSv).MaximumLength(200).Must(NotBlank).WithMessage("'nameSv' must not be blank when given.")
            .Must((r, text) => !IsTheKey(r, text)).WithMessage("'nameSv' is what a person reads: a name in plain language, not the key.");
        validator.RuleFor(r => r.NameEn).MaximumLength(200).Must(NotBlank).WithMessage("'nameEn' must not be blank when given.")
            .Must((r, text) => !IsTheKey(r, text)).WithMessage("'nameEn' is what a person reads: a name in plain language, not the key.");

        validator.RuleFor(r => r.DescriptionSv).MaximumLength(2000).Must(NotBlank).WithMessage("'descriptionSv' must not be blank when given.");
        validator.RuleFor(r => r.DescriptionEn).MaximumLength(2000).Must(NotBlank).WithMessage("'descriptionEn' must not be blank when given.");
    }

    private static bool NotBlank(string? text) => text is null || !string.IsNullOrWhiteSpace(text);

    private static bool IsTheKey(IRegistryRequest request, string? text) =>
        text is not null && string.Equals(text.Trim(), request.Key, StringComparison.OrdinalIgnoreCase);

    /// <summary>Copies the request's texts for a person onto the entry (a replace: a text not sent is cleared).</summary>
    public static void ApplyTexts(this IRegistryRequest request, RegistryEntry entity)
    {
        entity.NameSv = request.NameSv;
        entity.NameEn = request.NameEn;
        entity.DescriptionSv = request.DescriptionSv;
        entity.DescriptionEn = request.DescriptionEn;
    }
}

internal sealed class DataCategoryRequestValidator : AbstractValidator<DataCategoryRequest>
{
    public DataCategoryRequestValidator() => this.EntryRules();
}

internal sealed class PurposeRequestValidator : AbstractValidator<PurposeRequest>
{
    public PurposeRequestValidator()
    {
        this.EntryRules();
        RuleFor(r => r.LegalBasis).NotNull().IsInEnum();
        RuleFor(r => r.DataSubjects).NotEmpty()
            .Must(s => s is null || s.Distinct().Count() == s.Count).WithMessage("'dataSubjects' must not repeat a value.");
        RuleForEach(r => r.DataSubjects).IsInEnum();
        RuleFor(r => r.Retention).NotEmpty().MaximumLength(2000)
            .WithMessage("'retention' must say how long the data is kept (Art 30(1)(f)), at most 2000 characters.");
        RuleFor(r => r.AlwaysOn).Equal(false).When(r => r.LegalBasis == Registry.LegalBasis.Consent)
            .WithMessage("'alwaysOn' cannot be true for a purpose whose legal basis is consent: consent can always be refused.");
        RuleFor(r => r.ConsentChannels).NotEmpty().When(TakesConsent)
            .WithMessage("'consentChannels' must name where a consent to this purpose may be given (banner, settings_page, signup_form, email_link, ops).");
        RuleFor(r => r.ConsentChannels).Empty().When(r => r.LegalBasis is not null && !TakesConsent(r))
            .WithMessage("'consentChannels' is only for a purpose whose legal basis is consent, or that is always on.");
        RuleFor(r => r.ConsentChannels).Must(c => c is null || c.Distinct().Count() == c.Count)
            .WithMessage("'consentChannels' must not repeat a value.");
        RuleForEach(r => r.ConsentChannels).IsInEnum().NotEqual(ConsentChannel.RightsRequest)
            .WithMessage("A consent is never granted through a rights request: rights_request is where objections withdraw it.")
            .NotEqual(ConsentChannel.OneClickUnsubscribe)
            .WithMessage("A consent is never granted through an unsubscribe link: one_click_unsubscribe is where the link withdraws it.");
    }

    /// <summary>What the consent feature records decisions for (the same rule as its purposes list).</summary>
    private static bool TakesConsent(PurposeRequest r) => r.LegalBasis == Registry.LegalBasis.Consent || r.AlwaysOn;
}

internal sealed class RecipientRequestValidator : AbstractValidator<RecipientRequest>
{
    public RecipientRequestValidator()
    {
        this.EntryRules();
        RuleFor(r => r.Kind).NotNull().IsInEnum();
        RuleFor(r => r.Country).NotEmpty().Must(Countries.IsIsoAlpha2)
            .WithMessage("'country' must be an ISO 3166-1 alpha-2 code in upper case, e.g. SE.");
        RuleFor(r => r.TransferSafeguard).NotEmpty()
            .When(r => r.Country is not null && Countries.IsIsoAlpha2(r.Country) && !Countries.IsEea(r.Country))
            .WithMessage("'transferSafeguard' is required for a recipient outside the EU/EEA (Art 44–46: adequacy decision or safeguard).");
        RuleFor(r => r.TransferSafeguard).MaximumLength(500);
        RuleFor(r => r.Contact).MaximumLength(320);
    }
}

internal sealed class InternalSystemRequestValidator : AbstractValidator<InternalSystemRequest>
{
    public InternalSystemRequestValidator()
    {
        this.EntryRules();
        RuleFor(r => r.Categories).NotNull().Must(c => c is null || c.Distinct().Count() == c.Count)
            .WithMessage("'categories' must not repeat a category.");
        RuleForEach(r => r.Categories).NotEmpty().MaximumLength(100);
    }
}

internal sealed class ProcessingLinkRequestValidator : AbstractValidator<ProcessingLinkRequest>
{
    public ProcessingLinkRequestValidator()
    {
        RuleFor(r => r.Purpose).NotEmpty().MaximumLength(100);
        RuleFor(r => r.Category).NotEmpty().MaximumLength(100);
        RuleFor(r => r.Recipient).MaximumLength(100);
    }
}
