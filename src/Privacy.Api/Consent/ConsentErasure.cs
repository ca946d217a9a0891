using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Consent;

/// <summary>What erasing a subject's consent data did.</summary>
public sealed record ConsentErasureSummary(int ProofsErased, int EventsKeptAsProof, int EventsAnonymised, int VisitorLinksRemoved)
{
    public override string ToString() =>
        $"consent proofs' IP addresses and user agents erased: {ProofsErased}; consent events kept as proof under a pseudonym: " +
        $"{EventsKeptAsProof}; consent events anonymised: {EventsAnonymised}; visitor links removed: {VisitorLinksRemoved}";
}

/// <summary>
/// Erases or anonymises the service's own consent data about a customer (and the visitors linked to them), in the
/// caller's transaction. The clear IP addresses and user agents of the proofs go. An event that granted a consent is kept
/// as proof that it was given (Art 7(1)), under a keyed pseudonym: it can be found again only if the person presents the
/// same customer number; every other event is anonymised with a random one. The visitor links go. The consent state of
/// the customer is then empty, everywhere (the choices' notify trigger tells the replicas' caches about the old subject).
/// </summary>
public sealed class ConsentErasure(PrivacyDbContext db, Platform.Keys.DataKeyring keyring, TimeProvider time)
{
    public async Task<ConsentErasureSummary> EraseCustomerAsync(string customerNumber, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Consent data is erased in the transaction of the request that asks for it.");
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var transaction = (NpgsqlTransaction)db.Database.CurrentTransaction.GetDbTransaction();
        var visitors = await db.Set<SubjectLink>().Where(l => l.CustomerNumber == customerNumber).Select(l => l.VisitorId).ToListAsync(cancellationToken);
        var subjects = visitors.Select(v => ("Visitor", v)).Prepend(("Customer", customerNumber)).ToList();
        var pseudonym = "erased:" + System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Key(), Encoding.UTF8.GetBytes(customerNumber)).AsSpan(0, 16));

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (type, id) in subjects)
        {
            batch.BatchCommands.Add(BatchCommands.Create("""
                UPDATE privacy.consent_proofs p SET ip_address = NULL, user_agent = NULL, erased_at = $3
                FROM privacy.consent_events e
                WHERE p.event_id = e.id AND e.subject_type = $1 AND e.subject_id = $2 AND (p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL)
                """, type, id, time.GetUtcNow()));
            // Events that granted a consent stay provable under the keyed pseudonym; the others get a random one.
            batch.BatchCommands.Add(BatchCommands.Create("""
                WITH granted AS (
                    SELECT DISTINCT event_id FROM privacy.consent_choices WHERE subject_type = $1 AND subject_id = $2 AND granted)
                UPDATE privacy.consent_events e
                SET subject_id = CASE WHEN e.id IN (SELECT event_id FROM granted) THEN $3 ELSE 'erased:' || replace(gen_random_uuid()::text, '-', '') END
                WHERE e.subject_type = $1 AND e.subject_id = $2
                """, type, id, pseudonym));
            batch.BatchCommands.Add(BatchCommands.Create("""
                UPDATE privacy.consent_choices c SET subject_id = e.subject_id
                FROM privacy.consent_events e
                WHERE c.event_id = e.id AND c.subject_type = $1 AND c.subject_id = $2
                """, type, id));
        }

        batch.BatchCommands.Add(BatchCommands.Create("DELETE FROM privacy.consent_subject_links WHERE customer_number = $1", customerNumber));
        var kept = await db.Set<ConsentChoice>()
            .Where(c => c.Granted && ((c.SubjectType == SubjectType.Customer && c.SubjectId == customerNumber)
                                      || (c.SubjectType == SubjectType.Visitor && visitors.Contains(c.SubjectId))))
            .Select(c => c.EventId).Distinct().CountAsync(cancellationToken);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        var (proofs, events) = (0, 0);
        for (var i = 0; i < subjects.Count; i++)
        {
            proofs += batch.BatchCommands[i * 3].RecordsAffected;
            events += batch.BatchCommands[(i * 3) + 1].RecordsAffected;
        }

        return new ConsentErasureSummary(proofs, kept, events - kept, batch.BatchCommands[^1].RecordsAffected);
    }

    /// <summary>Under the current identity-number key: a pseudonym is never looked up again, so an older one needs no match.</summary>
    private byte[] Key() => keyring.Current(Platform.Keys.DataKeyUse.IdentityNumberHashing).Derive("consent-erasure-pseudonym"u8);
}
