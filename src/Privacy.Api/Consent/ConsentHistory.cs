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

    /// <summary>Per purpose a customer (or a visitor linked to them) ever chose: whether it was ever granted, and the latest choice.</summary>
    public async Task<IReadOnlyList<PurposeTimeline>> PurposeTimelinesAsync(string customerNumber, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<PurposeTimeline>($"""
            SELECT c.purpose_key AS purpose, bool_or(c.granted) AS ever_granted,
                   (array_agg(c.granted ORDER BY c.occurred_at DESC, c.sequence DESC))[1] AS last_granted, max(c.occurred_at) AS last_at
            FROM privacy.consent_choices c
            WHERE (c.subject_type = 'Customer' AND c.subject_id = {customerNumber})
               OR (c.subject_type = 'Visitor' AND c.subject_id IN (SELECT l.visitor_id FROM privacy.consent_subject_links l WHERE l.customer_number = {customerNumber}))
            GROUP BY c.purpose_key
            """).ToListAsync(cancellationToken);
}

/// <summary>A subject's choices for one purpose, as retention needs them.</summary>
public sealed record PurposeTimeline(string Purpose, bool EverGranted, bool LastGranted, DateTimeOffset LastAt);
