using FluentValidation;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;

namespace Privacy.Api.Disclosures;

/// <summary>One disclosure: to whom, about whom, which categories, for which purpose and on which ground.</summary>
public sealed record DisclosureRequest(
    string? Recipient, string? CustomerNumber, IReadOnlyList<string>? Categories, string? Purpose, LegalGround? LegalGround,
    DateTimeOffset? DisclosedAt, string? Reference);

/// <summary>A batch of disclosures, recorded all or nothing.</summary>
public sealed record RecordDisclosuresRequest(IReadOnlyList<DisclosureRequest>? Disclosures);

public sealed record DisclosureResponse(
    long Id, string Recipient, string CustomerNumber, IReadOnlyList<string> Categories, string Purpose, LegalGround LegalGround,
    DateTimeOffset DisclosedAt, string? Reference, DateTimeOffset RecordedAt);

public sealed record RecordedDisclosures(int Count, IReadOnlyList<long> Ids);

/// <summary>A page of disclosures; pass <c>next</c> as <c>after</c> for the next page (null at the end).</summary>
public sealed record DisclosurePage(IReadOnlyList<DisclosureResponse> Items, long? Next);

internal sealed class RecordDisclosuresRequestValidator : AbstractValidator<RecordDisclosuresRequest>
{
    public const int MaxBatch = 1000;

    public RecordDisclosuresRequestValidator(IOptions<ConsentOptions> options)
    {
        RuleFor(r => r.Disclosures).NotEmpty().Must(d => d is null || d.Count <= MaxBatch)
            .WithMessage($"'disclosures' must hold 1 to {MaxBatch} disclosures.");
        RuleForEach(r => r.Disclosures).ChildRules(d =>
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
        });
    }
}
