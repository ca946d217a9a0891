using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;
using Privacy.Api.Retention;

namespace Privacy.Api.Requests;

/// <summary>Part of a target's categories an erasure keeps, restricted (Art 18), with the ground and the last day (null: until released).</summary>
public sealed record KeptPart(IReadOnlyList<string> Categories, string Ground, DateOnly? KeptUntil, long? HoldId);

/// <summary>
/// What an erasure or anonymisation must keep (Art 17(3)), for the customers a request covers, in one place: data under an
/// active legal hold (Art 17(3)(e), legal claims) is restricted until the hold ends, and a system the law makes keep its data
/// (<see cref="RequestsOptions.StatutoryRetention"/>, e.g. accounting under Bokföringslagen 7 kap. 2 §) is restricted for as
/// long as that purpose's retention rules keep the customer's data, the same rules and clocks as the retention schedule
/// (<see cref="RetentionSchedules.KeptByPurposeAsync"/>). Everything else is erased.
/// </summary>
public sealed class ErasureExceptions(PrivacyDbContext db, RetentionSchedules schedules, IOptions<RequestsOptions> options, TimeProvider time)
{
    public async Task<ErasureKeeps> ForAsync(IReadOnlyList<string> customers, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var holds = (await db.Set<LegalHold>().AsNoTracking().Where(h => customers.Contains(h.CustomerNumber)).OrderBy(h => h.Id).ToListAsync(cancellationToken))
            .Where(h => h.ActiveAt(now)).ToList();
        var statutory = new Dictionary<string, KeptByPurpose>();
        foreach (var entry in options.Value.StatutoryRetention)
        {
            foreach (var customer in customers)
            {
                if (await schedules.KeptByPurposeAsync(customer, entry.Purpose, now, cancellationToken) is not { } kept)
                {
                    continue;
                }

                // Several customers: kept until the latest of their days (a running clock keeps it with no end yet).
                statutory[entry.System] = statutory.TryGetValue(entry.System, out var other)
                    ? kept with { KeptUntil = other.KeptUntil is null || kept.KeptUntil is null ? null : Max(other.KeptUntil.Value, kept.KeptUntil.Value) }
                    : kept;
            }
        }

        return new ErasureKeeps(holds, statutory);
    }

    /// <summary>The legal hold's ground as a requester and a system read it (its free-text reason stays with ops).</summary>
    public static string HoldGround(LegalHold hold) =>
        $"Art 17(3)(e): legal hold #{hold.Id} placed {hold.PlacedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} (legal claims)";

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}

/// <summary>The exceptions in force for one request's customers; splits a target's categories into what is kept and what is erased.</summary>
public sealed class ErasureKeeps(IReadOnlyList<LegalHold> holds, IReadOnlyDictionary<string, KeptByPurpose> statutory)
{
    public static readonly ErasureKeeps None = new([], new Dictionary<string, KeptByPurpose>());

    /// <summary>
    /// The held parts of <paramref name="categories"/> (first hold covering each category; a hold on no category covers all),
    /// then, for a system under statutory retention, the rest of its categories; and what remains to erase.
    /// </summary>
    public (IReadOnlyList<KeptPart> Kept, IReadOnlyList<string> Erase) Split(string? system, IReadOnlyList<string> categories)
    {
        var kept = new List<KeptPart>();
        var rest = categories.ToList();
        foreach (var hold in holds)
        {
            var held = rest.Where(c => hold.CategoryKey is null || hold.CategoryKey == c).ToList();
            if (held.Count > 0)
            {
                kept.Add(new KeptPart(held, ErasureExceptions.HoldGround(hold), hold.EndsAt is { } ends ? RequestDeadlines.DayEndedBy(ends) : null, hold.Id));
                rest.RemoveAll(held.Contains);
            }
        }

        if (system is not null && rest.Count > 0 && statutory.TryGetValue(system, out var law))
        {
            kept.Add(new KeptPart([.. rest], law.Ground, law.KeptUntil, null));
            rest.Clear();
        }

        return (kept, rest);
    }
}
