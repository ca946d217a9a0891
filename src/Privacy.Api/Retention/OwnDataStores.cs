using Npgsql;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Retention;

/// <summary>What a store's rule reaches at one moment: the latest start whose period has run out, per clock.</summary>
/// <param name="Ended">A row whose clock started at or before this has run its period.</param>
/// <param name="ExpiredConsentEnded">For consent proofs: a consent given at or before this has expired and run its period since.</param>
public sealed record StoreThresholds(DateTimeOffset Ended, DateTimeOffset ExpiredConsentEnded);

/// <summary>
/// One of the service's own stores of personal data and the rule (purpose × category) it follows. <see cref="Due"/> selects
/// the rows whose period has run out and that still hold the data ($1: <see cref="StoreThresholds.Ended"/>, $2:
/// <see cref="StoreThresholds.ExpiredConsentEnded"/>), with a key column <c>k</c>; <see cref="Apply"/> erases or deletes the
/// rows of a CTE <c>due(k)</c> ($3: now). The dry run counts <see cref="Due"/>; the sweep applies it: the same rows.
/// </summary>
public sealed record OwnDataStore(
    string Name, string Description, string Purpose, string Category, IReadOnlyList<RetentionTrigger> Triggers,
    Func<RetentionTrigger, string> Due, string Apply, string KeyType);

/// <summary>The service's own stores and the rules they follow (purposes the per-subject sweep leaves to them).</summary>
public static class OwnDataStores
{
    public const string ConsentProofPurpose = "consent_proof";
    public const string RightsRequestPurpose = "rights_request_records";
    public const string DeliveryPurpose = "notification_delivery";
    public const string DeduplicationPurpose = "request_deduplication";

    public static readonly IReadOnlySet<string> Purposes = new HashSet<string> { ConsentProofPurpose, RightsRequestPurpose, DeliveryPurpose, DeduplicationPurpose };

    public static readonly IReadOnlyList<OwnDataStore> All =
    [
        // Art 7(1): the event (policy version, time, notice hash, choices) stays as proof; only the clear IP address and user agent go.
        // Each proof's event is looked up by primary key (LATERAL … LIMIT 1 cannot become a merge join): the batch's cursor bounds
        // the proofs only, and the merge join the planner chose for the first batches of a large sweep (about 200 of 1,000 in a
        // million-row one) read every event before the cursor again in each batch (docs/performance.md, retention sweep).
        new("consent-proofs", "The clear IP address and user agent of consent proofs", ConsentProofPurpose, "user.device.ip_address",
            [RetentionTrigger.ConsentEnded, RetentionTrigger.Collected],
            trigger => """
                SELECT p.event_id AS k FROM privacy.consent_proofs p
                CROSS JOIN LATERAL (SELECT e.subject_type, e.subject_id, e.occurred_at FROM privacy.consent_events e WHERE e.id = p.event_id LIMIT 1) e
                WHERE (p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL) AND e.occurred_at <= $1
                """ + (trigger == RetentionTrigger.Collected ? "" : """
                 AND (e.occurred_at <= $2 OR EXISTS (
                    SELECT 1 FROM privacy.consent_events n
                    WHERE n.subject_type = e.subject_type AND n.subject_id = e.subject_id AND n.occurred_at > e.occurred_at AND n.occurred_at <= $1))
                """),
            "UPDATE privacy.consent_proofs p SET ip_address = NULL, user_agent = NULL, erased_at = $3 FROM due WHERE p.event_id = due.k",
            "uuid"),
        RequestField("rights-request-emails", "Requesters' e-mail addresses in closed rights requests", "user.contact.email", "r.email IS NOT NULL",
            "UPDATE privacy.rights_requests r SET email = NULL FROM due WHERE r.id = due.k"),
        RequestField("rights-request-customer-numbers", "Customer numbers in closed rights requests", "user.unique_id", "r.customer_number IS NOT NULL",
            "UPDATE privacy.rights_requests r SET customer_number = NULL FROM due WHERE r.id = due.k"),
        RequestField("rights-request-national-ids", "Keyed hashes of national identity numbers in closed rights requests",
            "user.government_id.national_identification_number", "r.national_id_hash IS NOT NULL",
            "UPDATE privacy.rights_requests r SET national_id_hash = NULL FROM due WHERE r.id = due.k"),
        RequestField("rights-request-contents", "Proposed changes, notes and the data systems returned, in closed rights requests",
            "user.content.private",
            "(r.changes IS NOT NULL OR r.note IS NOT NULL OR EXISTS (SELECT 1 FROM privacy.rights_request_tasks t WHERE t.request_id = r.id AND t.result IS NOT NULL))",
            """
            UPDATE privacy.rights_requests r SET changes = NULL, note = NULL FROM due WHERE r.id = due.k;
            UPDATE privacy.rights_request_tasks t SET result = NULL FROM due WHERE t.request_id = due.k AND t.result IS NOT NULL
            """),
        new("delivered-messages", "Outbox messages (webhook payloads) once delivered", DeliveryPurpose, "user.unique_id",
            [RetentionTrigger.Completed, RetentionTrigger.Collected],
            trigger => $"SELECT m.id AS k FROM privacy.outbox_messages m WHERE m.delivered_at IS NOT NULL AND m.{(trigger == RetentionTrigger.Collected ? "created_at" : "delivered_at")} <= $1",
            "DELETE FROM privacy.outbox_messages m USING due WHERE m.id = due.k",
            "bigint"),
        new("idempotency-records", "Stored answers to requests with an Idempotency-Key", DeduplicationPurpose, "user.unique_id",
            [RetentionTrigger.Collected],
            _ => "SELECT ROW(i.caller_key_id, i.idempotency_key)::text AS k, i.caller_key_id, i.idempotency_key FROM privacy.idempotency_records i WHERE i.created_at <= $1",
            "DELETE FROM privacy.idempotency_records i USING due WHERE i.caller_key_id = due.caller_key_id AND i.idempotency_key = due.idempotency_key",
            "text"),
    ];

    public static OwnDataStore? For(string purpose, string category) => All.FirstOrDefault(s => s.Purpose == purpose && s.Category == category);

    /// <summary>How many rows are due: the dry run.</summary>
    public static async Task<long> CountDueAsync(NpgsqlConnection connection, OwnDataStore store, RetentionTrigger trigger, StoreThresholds at,
        CancellationToken cancellationToken)
    {
        await using var command = BatchCommands.Command(connection, $"SELECT count(*) FROM ({store.Due(trigger)}) d", at.Ended, at.ExpiredConsentEnded);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Applies the rule to at most <paramref name="batchSize"/> due rows after <paramref name="after"/> (key order), in the
    /// caller's transaction. Returns the rows changed and the last key, or null when no due row is left.
    /// </summary>
    public static async Task<(int Changed, object? Last)> ApplyBatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OwnDataStore store,
        RetentionTrigger trigger, StoreThresholds at, DateTimeOffset now, object? after, int batchSize, CancellationToken cancellationToken)
    {
        var statements = store.Apply.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var sql = $"""
            WITH due AS MATERIALIZED (SELECT * FROM ({store.Due(trigger)}) d WHERE d.k > $4::{store.KeyType} ORDER BY d.k LIMIT $5)
            {string.Concat(statements.Select((s, i) => $", changed{i} AS ({s} RETURNING 1)\n"))}
            SELECT (SELECT count(*) FROM changed0)::int, (SELECT k FROM due ORDER BY k DESC LIMIT 1)
            """;
        // A plain "k > cursor" from the smallest key on (no "cursor IS NULL OR"): a generic plan keeps it as an index condition.
        after ??= store.KeyType switch { "uuid" => Guid.Empty, "bigint" => long.MinValue, _ => "" };
        await using var command = BatchCommands.Command(connection, sql, at.Ended, at.ExpiredConsentEnded, now, after, batchSize);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetValue(1));
    }

    private static OwnDataStore RequestField(string name, string description, string category, string holds, string apply) =>
        new(name, description, RightsRequestPurpose, category, [RetentionTrigger.Completed, RetentionTrigger.Collected],
            trigger => $"SELECT r.id AS k FROM privacy.rights_requests r WHERE {holds} AND r.closed_at IS NOT NULL AND r.{(trigger == RetentionTrigger.Collected ? "received_at" : "closed_at")} <= $1",
            apply, "uuid");
}
