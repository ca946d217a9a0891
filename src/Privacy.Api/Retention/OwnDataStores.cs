using Npgsql;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Retention;

/// <summary>What a store's rule reaches at one moment: the latest start whose period has run out, per clock.</summary>
/// <param name="Ended">A row whose clock started at or before this has run its period.</param>
/// <param name="ExpiredConsentEnded">For consent proofs: a consent given at or before this has expired and run its period since.</param>
public sealed record StoreThresholds(DateTimeOffset Ended, DateTimeOffset ExpiredConsentEnded)
{
    /// <summary>The thresholds of a rule with <paramref name="period"/> at <paramref name="now"/>, a consent lasting <paramref name="validityMonths"/>.</summary>
    public static StoreThresholds At(IsoPeriod period, int validityMonths, DateTimeOffset now)
    {
        var expiry = new IsoPeriod(validityMonths, 0, TimeSpan.Zero);
        return new StoreThresholds(period.LatestStartEndedBy(now), IsoPeriod.LatestStart(s => period.AddTo(expiry.AddTo(s)), now));
    }
}

/// <summary>
/// One of the service's own stores of personal data and the rule (purpose × category) it follows. <see cref="Due"/> selects
/// the rows whose period has run out and that still hold the data ($1: <see cref="StoreThresholds.Ended"/>, $2:
/// <see cref="StoreThresholds.ExpiredConsentEnded"/>, $3: now, for legal holds in force), with a key column <c>k</c>;
/// <see cref="Apply"/> erases or deletes the rows of a CTE <c>due(k)</c>. The dry run counts <see cref="Due"/>; the sweep
/// applies it: the same rows.
/// </summary>
public sealed record OwnDataStore(
    string Name, string Description, string Purpose, string Category, IReadOnlyList<RetentionTrigger> Triggers,
    Func<RetentionTrigger, string> Due, string Apply, string KeyType)
{
    /// <summary>The store's rule among <paramref name="rules"/> (category × purpose), null when it has none (a gap: the data is kept).</summary>
    public RetentionRule? RuleIn(IEnumerable<RetentionRule> rules) => rules.FirstOrDefault(r => r.PurposeKey == Purpose && r.CategoryKey == Category);

    /// <summary>Whether <paramref name="rule"/> erases anything here: a rule whose trigger the store cannot apply keeps the data.</summary>
    public bool Applies(RetentionRule? rule) => rule is not null && Triggers.Contains(rule.Trigger);
}

/// <summary>The service's own stores and the rules they follow (purposes the per-subject sweep leaves to them).</summary>
public static class OwnDataStores
{
    public const string ConsentProofPurpose = "consent_proof";
    public const string RightsRequestPurpose = "rights_request_records";
    public const string DeliveryPurpose = "notification_delivery";
    public const string DeduplicationPurpose = "request_deduplication";
    public const string DisclosurePurpose = "disclosure_records";
    public const string FollowUpPurpose = "follow_up_records";
    public const string RetentionRecordsPurpose = "retention_records";

    public static readonly IReadOnlySet<string> Purposes = new HashSet<string>
    {
        ConsentProofPurpose, RightsRequestPurpose, DeliveryPurpose, DeduplicationPurpose, DisclosurePurpose, FollowUpPurpose, RetentionRecordsPurpose,
    };

    /// <summary>
    /// A value nothing can be derived from or linked back with (Art 4(1), recital 26): anonymisation replaces an identifier by it.
    /// A hash or keyed hash of the identifier would be pseudonymisation, still personal data. The form of the consent erasure's.
    /// </summary>
    private const string RandomToken = "'erased:' || replace(gen_random_uuid()::text, '-', '')";

    /// <summary>A value already replaced by <see cref="RandomToken"/> (a keyed pseudonym, <c>erased:</c> and 22 base64url characters, is not).</summary>
    private const string IsRandomToken = "~ '^erased:[0-9a-f]{32}$'";

    /// <summary>The message's party has no enabled webhook endpoint: it is never sent one, and reads its feed or task list instead.</summary>
    private const string NoEndpoint =
        "NOT EXISTS (SELECT 1 FROM privacy.webhook_endpoints w WHERE w.recipient_key = m.recipient_key AND w.disabled_at IS NULL)";

    /// <summary>Customer number {0} is under a legal hold in force now ($3).</summary>
    private const string Held = """
        EXISTS (SELECT 1 FROM privacy.legal_holds h WHERE h.customer_number = {0} AND h.released_at IS NULL AND h.placed_at <= $3
                AND (h.ends_at IS NULL OR h.ends_at > $3))
        """;

    /// <summary>
    /// The consent-proofs rule as a condition on a consent event <c>e</c> (its <c>subject_type</c>, <c>subject_id</c>,
    /// <c>occurred_at</c>; $1 and $2 as in <see cref="OwnDataStore.Due"/>): the period of the event's clear IP address and user
    /// agent has run out. <see cref="RetentionTrigger.Collected"/>: from the event; <see cref="RetentionTrigger.ConsentEnded"/>:
    /// from when the consent expired, or was superseded by a later event of the subject. The sweep erases by it, and the consent
    /// export (<c>ConsentExport</c>) withholds by it the values the sweep has not reached yet: one clock.
    /// </summary>
    public static string ConsentProofEnded(RetentionTrigger trigger) => "e.occurred_at <= $1" + (trigger == RetentionTrigger.Collected ? "" : """
         AND (e.occurred_at <= $2 OR EXISTS (
            SELECT 1 FROM privacy.consent_events n
            WHERE n.subject_type = e.subject_type AND n.subject_id = e.subject_id AND n.occurred_at > e.occurred_at AND n.occurred_at <= $1))
        """);

    // Art 7(1): the event (policy version, time, notice hash, choices) stays as proof; only the clear IP address and user agent go.
    // Each proof's event is looked up by primary key (LATERAL … LIMIT 1 cannot become a merge join): the batch's cursor bounds
    // the proofs only, and the merge join the planner chose for the first batches of a large sweep (about 200 of 1,000 in a
    // million-row one) read every event before the cursor again in each batch (docs/performance.md, retention sweep).
    public static readonly OwnDataStore ConsentProofs = new("consent-proofs", "The clear IP address and user agent of consent proofs",
        ConsentProofPurpose, "user.device.ip_address", [RetentionTrigger.ConsentEnded, RetentionTrigger.Collected],
        trigger => $"""
            SELECT p.event_id AS k FROM privacy.consent_proofs p
            CROSS JOIN LATERAL (SELECT e.subject_type, e.subject_id, e.occurred_at FROM privacy.consent_events e WHERE e.id = p.event_id LIMIT 1) e
            WHERE (p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL) AND {ConsentProofEnded(trigger)}
            """,
        "UPDATE privacy.consent_proofs p SET ip_address = NULL, user_agent = NULL, erased_at = $3 FROM due WHERE p.event_id = due.k",
        "uuid");

    public static readonly IReadOnlyList<OwnDataStore> All =
    [
        ConsentProofs,
        // Art 7(1): the consent record itself (events, choices, the keyed hashes of the proof, or the keyed pseudonym an erasure
        // left) proves a consent only while it could be challenged: once every choice of an event has ended (superseded for its
        // purpose, or expired) and run its period, the subject becomes a random token and the hashes go. No customer under a hold.
        new("consent-records", "Consent events and choices under a visitor id, customer number or erasure pseudonym, and the keyed hashes of their proofs",
            ConsentProofPurpose, "user.privacy_preferences", [RetentionTrigger.ConsentEnded, RetentionTrigger.Collected],
            trigger => $"""
                SELECT e.id AS k, {RandomToken} AS token FROM privacy.consent_events e
                WHERE e.occurred_at <= $1
                  AND (e.subject_id !{IsRandomToken} OR EXISTS (SELECT 1 FROM privacy.consent_proofs p WHERE p.event_id = e.id
                       AND (p.ip_address_hash IS NOT NULL OR p.user_agent_hash IS NOT NULL OR p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL)))
                  AND NOT (e.subject_type = 'Customer' AND {string.Format(Held, "e.subject_id")})
                """ + (trigger == RetentionTrigger.Collected ? "" : """
                  AND NOT EXISTS (SELECT 1 FROM privacy.consent_choices c WHERE c.event_id = e.id AND e.occurred_at > $2 AND NOT EXISTS (
                      SELECT 1 FROM privacy.consent_choices n WHERE n.subject_type = c.subject_type AND n.subject_id = c.subject_id
                      AND n.purpose_key = c.purpose_key AND n.occurred_at > c.occurred_at AND n.occurred_at <= $1))
                """),
            $"""
            UPDATE privacy.consent_events e SET subject_id = due.token FROM due WHERE e.id = due.k AND e.subject_id !{IsRandomToken};
            UPDATE privacy.consent_choices c SET subject_id = due.token FROM due WHERE c.event_id = due.k AND c.subject_id !{IsRandomToken};
            UPDATE privacy.consent_proofs p SET ip_address = NULL, user_agent = NULL, ip_address_hash = NULL, user_agent_hash = NULL,
                erased_at = coalesce(p.erased_at, $3)
            FROM due WHERE p.event_id = due.k AND (p.ip_address_hash IS NOT NULL OR p.user_agent_hash IS NOT NULL OR p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL)
            """,
            "uuid"),
        // A visitor's link to a customer makes the visitor's consents the customer's: kept while any consent record of the visitor
        // still names the visitor id, and its period after the link was made.
        new("consent-links", "Links between a visitor id and a customer number", ConsentProofPurpose, "user.device.cookie_id",
            [RetentionTrigger.ConsentEnded, RetentionTrigger.Collected],
            trigger => $"""
                SELECT l.visitor_id AS k FROM privacy.consent_subject_links l
                WHERE l.linked_at <= $1 AND NOT {string.Format(Held, "l.customer_number")}
                """ + (trigger == RetentionTrigger.Collected ? "" : """
                  AND NOT EXISTS (SELECT 1 FROM privacy.consent_events e WHERE e.subject_type = 'Visitor' AND e.subject_id = l.visitor_id)
                """),
            "DELETE FROM privacy.consent_subject_links l USING due WHERE l.visitor_id = due.k",
            "text"),
        // Art 12, 5(2): a closed request shows how it was handled; after its period only what names no one stays (type, dates,
        // statuses, systems and recipients). What identified the requester, or any free text that might, goes.
        RequestField("rights-request-emails", "Requesters' e-mail addresses in closed rights requests and their identifiers", "user.contact.email",
            "(r.email IS NOT NULL OR EXISTS (SELECT 1 FROM privacy.rights_request_identifiers i WHERE i.request_id = r.id AND i.kind = 'Email'))",
            """
            UPDATE privacy.rights_requests r SET email = NULL FROM due WHERE r.id = due.k;
            DELETE FROM privacy.rights_request_identifiers i USING due WHERE i.request_id = due.k AND i.kind = 'Email'
            """),
        RequestField("rights-request-customer-numbers", "Customer numbers in closed rights requests, their identifiers and the customers they covered",
            "user.unique_id",
            """
            (r.customer_number IS NOT NULL
             OR EXISTS (SELECT 1 FROM privacy.rights_request_identifiers i WHERE i.request_id = r.id AND i.kind = 'CustomerNumber')
             OR EXISTS (SELECT 1 FROM privacy.rights_request_customers c WHERE c.request_id = r.id)
             OR EXISTS (SELECT 1 FROM privacy.rights_request_tasks t WHERE t.request_id = r.id AND t.customer_numbers IS NOT NULL))
            """,
            """
            UPDATE privacy.rights_requests r SET customer_number = NULL FROM due WHERE r.id = due.k;
            DELETE FROM privacy.rights_request_identifiers i USING due WHERE i.request_id = due.k AND i.kind = 'CustomerNumber';
            DELETE FROM privacy.rights_request_customers c USING due WHERE c.request_id = due.k;
            UPDATE privacy.rights_request_tasks t SET customer_numbers = NULL FROM due WHERE t.request_id = due.k AND t.customer_numbers IS NOT NULL
            """),
        RequestField("rights-request-national-ids", "Keyed hashes of national identity numbers in closed rights requests and their identifiers",
            "user.government_id.national_identification_number",
            "(r.national_id_hash IS NOT NULL OR EXISTS (SELECT 1 FROM privacy.rights_request_identifiers i WHERE i.request_id = r.id AND i.kind = 'NationalIdentityNumber'))",
            """
            UPDATE privacy.rights_requests r SET national_id_hash = NULL FROM due WHERE r.id = due.k;
            DELETE FROM privacy.rights_request_identifiers i USING due WHERE i.request_id = due.k AND i.kind = 'NationalIdentityNumber'
            """),
        RequestField("rights-request-contents",
            "Proposed changes, notes, resolutions, reasons, how identities were verified, and what systems answered, in closed rights requests",
            "user.content.private",
            """
            (r.changes IS NOT NULL OR r.note IS NOT NULL OR r.resolution IS NOT NULL OR r.extension_reason IS NOT NULL
             OR EXISTS (SELECT 1 FROM privacy.rights_request_tasks t WHERE t.request_id = r.id AND (t.result IS NOT NULL OR t.outcome IS NOT NULL))
             OR EXISTS (SELECT 1 FROM privacy.rights_request_transitions x WHERE x.request_id = r.id AND x.reason IS NOT NULL)
             OR EXISTS (SELECT 1 FROM privacy.rights_request_identifiers i WHERE i.request_id = r.id AND i.verified_how IS NOT NULL))
            """,
            """
            UPDATE privacy.rights_requests r SET changes = NULL, note = NULL, resolution = NULL, extension_reason = NULL FROM due WHERE r.id = due.k;
            UPDATE privacy.rights_request_tasks t SET result = NULL, outcome = NULL FROM due WHERE t.request_id = due.k AND (t.result IS NOT NULL OR t.outcome IS NOT NULL);
            UPDATE privacy.rights_request_transitions x SET reason = NULL FROM due WHERE x.request_id = due.k AND x.reason IS NOT NULL;
            UPDATE privacy.rights_request_identifiers i SET verified_how = NULL FROM due WHERE i.request_id = due.k AND i.verified_how IS NOT NULL
            """),
        // Art 5(2), 19, 30(1)(d): the disclosure log shows what each recipient was given, and tells whom a later change must reach.
        // Once the recipient confirmed it erased (or anonymised) every category a disclosure gave it, and the period has run, the
        // disclosure stays only as an anonymous record: recipient, purpose, ground, categories, dates.
        DisclosureField("disclosure-national-ids", "Keyed hashes of national identity numbers in the disclosure log",
            "user.government_id.national_identification_number", "d.national_id_hash IS NOT NULL",
            "UPDATE privacy.disclosures d SET national_id_hash = NULL FROM due WHERE d.id = due.k"),
        DisclosureField("disclosure-customer-numbers", "Customer numbers (with the senders' references) in the disclosure log", "user.unique_id",
            $"d.customer_number !{IsRandomToken}",
            $"UPDATE privacy.disclosures d SET customer_number = {RandomToken}, national_id_hash = NULL, sender_reference = NULL FROM due WHERE d.id = due.k"),
        // Art 19, 5(2): a follow-up shows the recipient was told and what it answered. An erasure's follow-up is what ends the
        // disclosures' period, so it stays as long as any disclosure it answers still names the customer.
        new("follow-ups", "Follow-ups to recipients (and partner feed entries): customer numbers, corrected values, references and reasons",
            FollowUpPurpose, "user.unique_id", [RetentionTrigger.Completed, RetentionTrigger.Collected],
            trigger => $"""
                SELECT f.id AS k FROM privacy.follow_ups f
                WHERE f.customer_number !{IsRandomToken} AND f.{(trigger == RetentionTrigger.Collected ? "created_at" : "acknowledged_at")} <= $1
                  AND NOT {string.Format(Held, "f.customer_number")}
                  AND (f.action NOT IN ('Erase', 'Anonymise') OR NOT EXISTS (SELECT 1 FROM privacy.disclosures d
                       WHERE d.recipient_key = f.recipient_key AND d.customer_number = f.customer_number AND d.disclosed_at <= f.created_at))
                """,
            $"""
            UPDATE privacy.follow_ups f SET customer_number = {RandomToken}, corrections = NULL, reason = NULL, reference = NULL,
                acknowledgement_reason = NULL
            FROM due WHERE f.id = due.k
            """,
            "bigint"),
        // A message is kept for support and replay after it was delivered or given up (dead letter); one waiting for a party with
        // no enabled webhook endpoint (it reads its partner feed or task list, where the follow-up or task stays) from when it was written.
        new("delivered-messages", "Outbox messages (webhook payloads) once delivered, dead-lettered, or waiting for a party with no webhook endpoint",
            DeliveryPurpose, "user.unique_id", [RetentionTrigger.Completed, RetentionTrigger.Collected],
            trigger => "SELECT m.id AS k FROM privacy.outbox_messages m WHERE " + (trigger == RetentionTrigger.Collected
                ? $"m.created_at <= $1 AND (m.delivered_at IS NOT NULL OR m.dead_lettered_at IS NOT NULL OR {NoEndpoint})"
                : $"(m.delivered_at <= $1 OR m.dead_lettered_at <= $1 OR (m.created_at <= $1 AND m.delivered_at IS NULL AND m.dead_lettered_at IS NULL AND {NoEndpoint}))"),
            "DELETE FROM privacy.outbox_messages m USING due WHERE m.id = due.k",
            "bigint"),
        new("idempotency-records", "Stored answers to requests with an Idempotency-Key", DeduplicationPurpose, "user.unique_id",
            [RetentionTrigger.Collected],
            _ => "SELECT ROW(i.caller_key_id, i.idempotency_key)::text AS k, i.caller_key_id, i.idempotency_key FROM privacy.idempotency_records i WHERE i.created_at <= $1",
            "DELETE FROM privacy.idempotency_records i USING due WHERE i.caller_key_id = due.caller_key_id AND i.idempotency_key = due.idempotency_key",
            "text"),
        // Art 5(1)(e): a customer's clocks, legal holds (with their reasons) and swept items serve only while a period may still
        // end: once nothing more is scheduled, no hold is in force, and the period has run since the last of them, they go.
        new("retention-bookkeeping", "Retention clocks, legal holds and swept items per customer number", RetentionRecordsPurpose, "user.unique_id",
            [RetentionTrigger.Completed],
            _ => """
                SELECT a.customer AS k FROM (
                    SELECT customer_number AS customer, max(reported_at) AS last FROM privacy.retention_clocks GROUP BY customer_number
                    UNION ALL SELECT customer_number, max(swept_at) FROM privacy.retention_items GROUP BY customer_number
                    UNION ALL SELECT customer_number, max(greatest(placed_at, least(coalesce(released_at, 'infinity'), coalesce(ends_at, 'infinity'))))
                              FROM privacy.legal_holds GROUP BY customer_number
                    UNION ALL SELECT customer_number, coalesce(evaluated_at, '-infinity') FROM privacy.retention_subjects WHERE next_due_at IS NULL
                    UNION ALL SELECT customer_number, 'infinity' FROM privacy.retention_subjects WHERE next_due_at IS NOT NULL) a
                GROUP BY a.customer HAVING max(a.last) <= $1
                """,
            """
            DELETE FROM privacy.retention_subjects s USING due WHERE s.customer_number = due.k;
            DELETE FROM privacy.retention_clocks c USING due WHERE c.customer_number = due.k;
            DELETE FROM privacy.retention_items i USING due WHERE i.customer_number = due.k;
            DELETE FROM privacy.legal_holds h USING due WHERE h.customer_number = due.k
            """,
            "text"),
    ];

    public static OwnDataStore? For(string purpose, string category) => All.FirstOrDefault(s => s.Purpose == purpose && s.Category == category);

    /// <summary>How many rows are due: the dry run.</summary>
    public static async Task<long> CountDueAsync(NpgsqlConnection connection, OwnDataStore store, RetentionTrigger trigger, StoreThresholds at,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = BatchCommands.Command(connection, $"SELECT count(*) FROM ({store.Due(trigger)}) d", at.Ended, at.ExpiredConsentEnded, now);
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

    /// <summary>
    /// Disclosures whose clock has run: <see cref="RetentionTrigger.Completed"/> once the recipient acknowledged (done) an erasure or
    /// anonymisation follow-up, raised at or after the disclosure, for every category the disclosure gave it.
    /// </summary>
    private static OwnDataStore DisclosureField(string name, string description, string category, string holds, string apply) =>
        new(name, description, DisclosurePurpose, category, [RetentionTrigger.Completed, RetentionTrigger.Collected],
            trigger => $"""
                SELECT d.id AS k FROM privacy.disclosures d WHERE {holds} AND NOT {string.Format(Held, "d.customer_number")} AND
                """ + (trigger == RetentionTrigger.Collected ? " d.disclosed_at <= $1" : """
                 EXISTS (SELECT 1 FROM privacy.follow_ups f WHERE f.recipient_key = d.recipient_key AND f.customer_number = d.customer_number
                        AND f.action IN ('Erase', 'Anonymise') AND f.status = 'Done' AND f.created_at >= d.disclosed_at AND f.acknowledged_at <= $1)
                 AND NOT EXISTS (SELECT 1 FROM unnest(d.categories) AS given(category) WHERE NOT EXISTS (
                        SELECT 1 FROM privacy.follow_ups f WHERE f.recipient_key = d.recipient_key AND f.customer_number = d.customer_number
                        AND f.action IN ('Erase', 'Anonymise') AND f.status = 'Done' AND f.created_at >= d.disclosed_at AND f.acknowledged_at <= $1
                        AND given.category = ANY (f.categories)))
                """),
            apply, "bigint");
}
