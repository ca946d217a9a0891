using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Audit;

/// <summary>Re-walks the seal chain from the first entry and names the first one that does not hold.</summary>
public sealed class AuditVerifier(PrivacyDbContext db)
{
    private const int PageSize = 2000;

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        long expectedPosition = 1;
        var previous = AuditChain.GenesisSeal;
        while (true)
        {
            var from = expectedPosition;
            var page = await db.Set<AuditEntry>().AsNoTracking()
                .Where(e => e.ChainPosition >= from)
                .OrderBy(e => e.ChainPosition)
                .Take(PageSize)
                .ToListAsync(cancellationToken);
            foreach (var entry in page)
            {
                var broken = Check(entry, expectedPosition, previous);
                if (broken is not null)
                {
                    return await Result(false, expectedPosition - 1, previous, broken, cancellationToken);
                }

                previous = entry.Seal!;
                expectedPosition++;
            }

            if (page.Count < PageSize)
            {
                return await Result(true, expectedPosition - 1, previous, null, cancellationToken);
            }
        }
    }

    private static AuditBreak? Check(AuditEntry entry, long expectedPosition, string previous)
    {
        if (entry.ChainPosition != expectedPosition)
        {
            return new AuditBreak(entry.Id, entry.ChainPosition!.Value,
                $"The entry at chain position {expectedPosition} is missing: entries were deleted before this one.");
        }

        if (entry.PreviousSeal != previous)
        {
            return new AuditBreak(entry.Id, expectedPosition,
                "The entry's previous seal does not match the seal of the entry before it: the chain was rewritten.");
        }

        if (entry.Seal is null || AuditChain.ComputeSeal(entry, expectedPosition, previous) != entry.Seal)
        {
            return new AuditBreak(entry.Id, expectedPosition,
                "The entry's content does not match its seal: the entry was altered after it was sealed.");
        }

        return null;
    }

    private async Task<AuditVerification> Result(bool intact, long sealedCount, string headSeal, AuditBreak? broken,
        CancellationToken cancellationToken)
    {
        var pending = await db.Set<AuditEntry>().CountAsync(e => e.ChainPosition == null, cancellationToken);
        return new AuditVerification(intact, sealedCount, pending, broken is null ? headSeal : null, broken);
    }
}

/// <summary>The result of walking the chain.</summary>
/// <param name="Intact">True when every sealed entry matches its seal and follows its predecessor.</param>
/// <param name="VerifiedEntries">Sealed entries checked before the walk ended.</param>
/// <param name="PendingEntries">Committed entries not yet sealed (sealed within seconds).</param>
/// <param name="HeadSeal">Seal of the last entry when intact: record it elsewhere to detect truncation later.</param>
/// <param name="FirstBrokenEntry">The first entry that does not hold, and why.</param>
public sealed record AuditVerification(bool Intact, long VerifiedEntries, int PendingEntries, string? HeadSeal, AuditBreak? FirstBrokenEntry);

/// <summary>Where and why the chain breaks.</summary>
public sealed record AuditBreak(long EntryId, long ChainPosition, string Reason);
