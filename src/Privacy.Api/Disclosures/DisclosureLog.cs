using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Disclosures;

/// <summary>What one recipient was given about one customer: the purposes and the categories, over all disclosures, and when.</summary>
public sealed record DisclosedTo(
    string Recipient, IReadOnlyList<string> Purposes, IReadOnlyList<string> Categories, DateTimeOffset FirstDisclosedAt,
    DateTimeOffset LastDisclosedAt, int Disclosures);

/// <summary>Answers other features' questions about the disclosure log (who holds what about whom).</summary>
public sealed class DisclosureLog(PrivacyDbContext db)
{
    /// <summary>
    /// The recipients that were given data about <paramref name="customerNumber"/>, optionally only
    /// disclosures for <paramref name="purposes"/>.
    /// </summary>
    public async Task<IReadOnlyList<DisclosedTo>> RecipientsOfAsync(string customerNumber, IReadOnlyCollection<string>? purposes,
        CancellationToken cancellationToken)
    {
        var query = db.Set<Disclosure>().AsNoTracking().Where(d => d.CustomerNumber == customerNumber);
        if (purposes is not null)
        {
            query = query.Where(d => purposes.Contains(d.PurposeKey));
        }

        var rows = await query.Select(d => new { d.RecipientKey, d.PurposeKey, d.Categories, d.DisclosedAt }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.RecipientKey).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new DisclosedTo(g.Key,
                [.. g.Select(r => r.PurposeKey).Distinct().Order(StringComparer.Ordinal)],
                [.. g.SelectMany(r => r.Categories).Distinct().Order(StringComparer.Ordinal)],
                g.Min(r => r.DisclosedAt), g.Max(r => r.DisclosedAt), g.Count()))
            .ToList();
    }

    /// <summary>
    /// The customer numbers disclosures recorded with this national identity number were about, given as its keyed hashes (under every
    /// key that was active when the number was given).
    /// </summary>
    public async Task<IReadOnlyList<string>> CustomersWithNationalIdAsync(IReadOnlyCollection<string> nationalIdHashes, CancellationToken cancellationToken) =>
        await db.Set<Disclosure>().AsNoTracking().Where(d => nationalIdHashes.Contains(d.NationalIdHash!)).Select(d => d.CustomerNumber).Distinct()
            .OrderBy(c => c).ToListAsync(cancellationToken);
}
