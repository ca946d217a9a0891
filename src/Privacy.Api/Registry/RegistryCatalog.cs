using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Registry;

/// <summary>An internal system and the categories it holds.</summary>
public sealed record SystemHolding(string System, IReadOnlyList<string> Categories);

/// <summary>A purpose as other features need it: its legal basis, retention and the categories processed for it.</summary>
public sealed record PurposeFacts(
    string Key, string Name, LegalBasis LegalBasis, string? Retention, IReadOnlyList<DataSubjectType> DataSubjects, IReadOnlyList<string> Categories,
    bool DirectMarketing = false);

/// <summary>A category's key and name.</summary>
public sealed record CategoryFacts(string Key, string Name);

/// <summary>A recipient as a person reads about it: its texts, what kind of recipient it is and where it processes the data.</summary>
public sealed record RecipientText(EntryText Text, RecipientKind Kind, string Country, string? TransferSafeguard);

/// <summary>Every entry's texts for a person, retired ones too (a report may name what was disclosed before it was retired).</summary>
public sealed record RegistryTextBook(
    IReadOnlyDictionary<string, EntryText> Categories, IReadOnlyDictionary<string, EntryText> Purposes,
    IReadOnlyDictionary<string, RecipientText> Recipients, IReadOnlyDictionary<string, EntryText> Systems);

/// <summary>Answers other features' questions about the registry (active entries only).</summary>
public sealed class RegistryCatalog(PrivacyDbContext db)
{
    public async Task<IReadOnlyList<SystemHolding>> SystemsAsync(CancellationToken cancellationToken) =>
        (await db.Set<InternalSystem>().AsNoTracking().Where(s => s.RetiredAt == null).OrderBy(s => s.Key)
            .Select(s => new { s.Key, Categories = s.Categories.Select(c => c.CategoryKey).OrderBy(c => c).ToList() })
            .ToListAsync(cancellationToken))
        .Select(s => new SystemHolding(s.Key, s.Categories)).ToList();

    public async Task<IReadOnlyList<CategoryFacts>> CategoriesAsync(CancellationToken cancellationToken) =>
        await db.Set<DataCategory>().AsNoTracking().Where(c => c.RetiredAt == null).OrderBy(c => c.Key).Select(c => new CategoryFacts(c.Key, c.Name))
            .ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<string>> CategoryKeysAsync(CancellationToken cancellationToken) =>
        await db.Set<DataCategory>().AsNoTracking().Where(c => c.RetiredAt == null).OrderBy(c => c.Key).Select(c => c.Key)
            .ToListAsync(cancellationToken);

    /// <summary>Every active purpose with the categories processed for it (internally or disclosed).</summary>
    public async Task<IReadOnlyList<PurposeFacts>> PurposesAsync(CancellationToken cancellationToken)
    {
        var purposes = await db.Set<Purpose>().AsNoTracking().Where(p => p.RetiredAt == null).OrderBy(p => p.Key)
            .Select(p => new { p.Key, p.Name, p.LegalBasis, p.Retention, p.DataSubjects, p.DirectMarketing }).ToListAsync(cancellationToken);
        var links = await db.Set<ProcessingLink>().AsNoTracking().Where(l => l.RetiredAt == null)
            .Select(l => new { l.PurposeKey, l.CategoryKey }).Distinct().ToListAsync(cancellationToken);
        return purposes.Select(p => new PurposeFacts(p.Key, p.Name, p.LegalBasis, p.Retention, p.DataSubjects,
            [.. links.Where(l => l.PurposeKey == p.Key).Select(l => l.CategoryKey).Distinct().Order(StringComparer.Ordinal)], p.DirectMarketing)).ToList();
    }

    /// <summary>The Art 6(1) legal basis of each of <paramref name="purposes"/> that is an active purpose.</summary>
    public async Task<IReadOnlyDictionary<string, LegalBasis>> LegalBasesAsync(IReadOnlyCollection<string> purposes,
        CancellationToken cancellationToken) =>
        await db.Set<Purpose>().AsNoTracking().Where(p => p.RetiredAt == null && purposes.Contains(p.Key))
            .ToDictionaryAsync(p => p.Key, p => p.LegalBasis, cancellationToken);

    /// <summary>Active recipients' names by key.</summary>
    public async Task<IReadOnlyDictionary<string, string>> RecipientNamesAsync(CancellationToken cancellationToken) =>
        await db.Set<Recipient>().AsNoTracking().ToDictionaryAsync(r => r.Key, r => r.Name, cancellationToken);

    /// <summary>The texts a person reads of every entry (Art 12(1)), active or retired.</summary>
    public async Task<RegistryTextBook> TextsAsync(CancellationToken cancellationToken) => new(
        await Texts(db.Set<DataCategory>(), cancellationToken),
        await Texts(db.Set<Purpose>(), cancellationToken),
        await db.Set<Recipient>().AsNoTracking().ToDictionaryAsync(r => r.Key,
            r => new RecipientText(new EntryText(r.Key, r.Name, r.NameSv, r.NameEn, r.DescriptionSv, r.DescriptionEn), r.Kind, r.Country,
                r.TransferSafeguard), cancellationToken),
        await Texts(db.Set<InternalSystem>(), cancellationToken));

    private static async Task<IReadOnlyDictionary<string, EntryText>> Texts<T>(IQueryable<T> entries, CancellationToken cancellationToken)
        where T : RegistryEntry =>
        await entries.AsNoTracking().Select(e => new EntryText(e.Key, e.Name, e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn))
            .ToDictionaryAsync(e => e.Key, cancellationToken);

    /// <summary>Whether <paramref name="key"/> names an active recipient (one a partner key may be bound to).</summary>
    public async Task<bool> IsRecipientAsync(string key, CancellationToken cancellationToken) =>
        await db.Set<Recipient>().AnyAsync(r => r.Key == key && r.RetiredAt == null, cancellationToken);

    /// <summary>Whether <paramref name="key"/> names an active internal system (one a system key may be bound to).</summary>
    public async Task<bool> IsSystemAsync(string key, CancellationToken cancellationToken) =>
        await db.Set<InternalSystem>().AnyAsync(s => s.Key == key && s.RetiredAt == null, cancellationToken);

    /// <summary>Whether <paramref name="key"/> names an active recipient or internal system (a party the notifier can reach).</summary>
    public async Task<bool> IsPartyAsync(string key, CancellationToken cancellationToken) =>
        await db.Set<Recipient>().AnyAsync(r => r.Key == key && r.RetiredAt == null, cancellationToken)
        || await db.Set<InternalSystem>().AnyAsync(s => s.Key == key && s.RetiredAt == null, cancellationToken);
}
