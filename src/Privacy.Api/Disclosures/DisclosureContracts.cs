using FluentValidation;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Subjects;

namespace Privacy.Api.Disclosures;

/// <summary>
/// One disclosure: to whom, about whom, which categories, for which purpose and on which ground. A national identity
/// number (personnummer, samordningsnummer or organisationsnummer) may be given too; only its keyed hash is kept.
/// </summary>
public sealed record DisclosureRequest(
    string? Recipient, string? CustomerNumber, IReadOnlyList<string>? Categories, string? Purpose, LegalGround? LegalGround,
    DateTimeOffset? DisclosedAt, string? Reference, string? NationalIdentityNumber = null);

/// <summary>Find the disclosures about the holder of a national identity number (sent in a body, never in a URL).</summary>
public sealed record FindDisclosuresRequest(string? NationalIdentityNumber, long? After, int? Limit);

/// <summary>A batch of disclosures, recorded all or nothing.</summary>
public sealed record RecordDisclosuresRequest(IReadOnlyList<DisclosureRequest>? Disclosures);

/// <param name="NationalIdentityNumberGiven">Whether the sender gave a national identity number (kept only as a keyed hash).</param>
public sealed record DisclosureResponse(
    long Id, string Recipient, string CustomerNumber, IReadOnlyList<string> Categories, string Purpose, LegalGround LegalGround,
    DateTimeOffset DisclosedAt, string? Reference, DateTimeOffset RecordedAt, bool NationalIdentityNumberGiven);

public sealed record RecordedDisclosures(int Count, IReadOnlyList<long> Ids);

/// <summary>A page of disclosures; pass <c>next</c> as <c>after</c> for the next page (null at the end).</summary>
public sealed record DisclosurePage(IReadOnlyList<DisclosureResponse> Items, long? Next);

internal sealed class FindDisclosuresRequestValidator : AbstractValidator<FindDisclosuresRequest>
{
    public FindDisclosuresRequestValidator(SubjectHasher subjects)
    {
        RuleFor(r => r.NationalIdentityNumber).NotEmpty().Must(n => subjects.HashNationalIdentityNumber(n) is not null)
            .WithMessage(RecordDisclosuresRequestValidator.InvalidNationalIdentityNumber);
        RuleFor(r => r.Limit).InclusiveBetween(1, Paging.MaxLimit);
    }
}

internal sealed class RecordDisclosuresRequestValidator : AbstractValidator<RecordDisclosuresRequest>
{
    public const int MaxBatch = 1000;

    // Never the value itself: it is personal data, and error messages end up in logs.
    internal const string InvalidNationalIdentityNumber =
        "'nationalIdentityNumber' is not a valid personnummer, samordningsnummer or organisationsnummer (12 or 10 digits, Luhn check digit, real date).";

    public RecordDisclosuresRequestValidator(IOptions<ConsentOptions> options, SubjectHasher subjects)
    {
        RuleFor(r => r.Disclosures).NotEmpty().Must(d => d is null || d.Count <= MaxBatch)
            .WithMessage($"'disclosures' must hold 1 to {MaxBatch} disclosures.");
        RuleForEach(r => r.Disclosures).NotNull().WithMessage("A disclosure must be an object.").ChildRules(d =>
        {
            d.RuleFor(x => x.Recipient).NotEmpty().MaximumLength(100);
            d.RuleFor(x => x.CustomerNumber).NotEmpty()
                .Must(n => ConsentRules.IsValidSubjectId(options.Value, SubjectType.Customer, n))
                .WithMessage("'customerNumber' is not a valid customer number.");
            d.RuleFor(x => x.Categories).NotEmpty()
                .Must(c => c is null || c.Distinct().Count() == c.Count).WithMessage("'categories' must not repeat a category.");
            d.RuleForEach(x => x.Categories).NotEmpty().MaximumLength(100);
            d.RuleFor(x => x.Purpose).NotEmpty().MaximumLength(100);
            d.RuleFor(x => x.LegalGround).NotNull().IsInEnum();
            d.RuleFor(x => x.DisclosedAt).NotNull();
            d.RuleFor(x => x.Reference).MaximumLength(200);
            d.RuleFor(x => x.NationalIdentityNumber).Must(n => n is null || subjects.HashNationalIdentityNumber(n) is not null)
                .WithMessage(InvalidNationalIdentityNumber);
        });
    }
}
