using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Consent;

/// <summary>A subject's consent history: every decision and withdrawal, with its proof (a customer's includes their linked visitors').</summary>
public sealed class ConsentHistory(PrivacyDbContext db)
{
    public async Task<ConsentHistoryResponse> ReadAsync(SubjectType type, string id, CancellationToken cancellationToken)
    {
        var visitors = type == SubjectType.Customer
            ? await db.Set<SubjectLink>().Where(l => l.CustomerNumber == id).Select(l => l.VisitorId).ToListAsync(cancellationToken)
            : [];
        var events = await db.Set<ConsentEvent>().AsNoTracking().Include(e => e.Choices).Include(e => e.Proof)
            .Where(e => (e.SubjectType == type && e.SubjectId == id) || (e.SubjectType == SubjectType.Visitor && visitors.Contains(e.SubjectId)))
            .OrderBy(e => e.OccurredAt).ThenBy(e => e.Choices.Min(c => c.Sequence))
            .ToListAsync(cancellationToken);
        return new ConsentHistoryResponse(new SubjectRef(type, id), [.. events.Select(e => new ConsentEventResponse(
            e.Id, e.Kind, e.OccurredAt, new SubjectRef(e.SubjectType, e.SubjectId), e.PolicyVersion, e.Channel, e.NoticeId, e.NoticeHash,
            e.Language, e.Gpc, e.GpcSource, e.RecordedBy,
            [.. e.Choices.OrderBy(c => c.PurposeKey).Select(c => new RecordedChoice(c.PurposeKey, ConsentStatuses.Of(c.Requested), ConsentStatuses.Of(c.Granted),
                c.Requested && !c.Granted))],
            e.Proof?.IpAddress?.ToString(), e.Proof?.UserAgent, e.Proof?.ErasedAt))]);
    }
}
