using Npgsql;

namespace Privacy.Benchmarks;

/// <summary>
/// A realistic consent data set, generated in PostgreSQL: subject <c>s</c> is a customer (30%, customer
/// number 1000000+s) or a visitor (70%, id <c>bv</c> + s padded to 32 characters) with 1–3 consent events
/// (banner decisions, some withdrawals, some with GPC), 2–3 choices each, a proof with an IP address, and
/// 5% of visitors linked to a customer. The Lua scripts compute the same ids.
/// </summary>
internal static class DataSet
{
    private const string LoadSql = """
        WITH src AS (
            SELECT s, e, s % 10 < 3 AS customer,
                   CASE WHEN s % 10 < 3 THEN (1000000 + s)::text ELSE 'bv' || lpad(s::text, 30, '0') END AS subject_id,
                   (e > 1 AND e = 1 + s % 3 AND s % 7 = 0) AS withdrawal,
                   now() - interval '330 days' + e * interval '60 days' + s * interval '1 millisecond' AS at
            FROM generate_series($1::int, $2::int) s CROSS JOIN LATERAL generate_series(1, 1 + s % 3) e
        ), ev AS (
            INSERT INTO privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, notice_id, notice_hash,
                                                language, gpc, gpc_source, occurred_at, recorded_by)
            SELECT gen_random_uuid(), CASE WHEN customer THEN 'Customer' ELSE 'Visitor' END, subject_id,
                   CASE WHEN withdrawal THEN 'Withdrawal' ELSE 'Decision' END, '2022-02-08',
                   CASE WHEN withdrawal THEN 'SettingsPage' ELSE 'Banner' END, 'banner-v1-sv', repeat('a', 64), 'sv',
                   s % 13 = 0, CASE WHEN s % 13 = 0 THEN 'header' END, at, 'bench-loader'
            FROM src
            RETURNING id, subject_type, subject_id, kind, occurred_at
        ), ch AS (
            INSERT INTO privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at)
            SELECT ev.id, p.key, ev.kind = 'Decision' AND (get_byte(uuid_send(ev.id), 15) + length(p.key)) % 3 <> 0,
                   ev.kind = 'Decision' AND (get_byte(uuid_send(ev.id), 15) + length(p.key)) % 3 <> 0, ev.subject_type, ev.subject_id, ev.occurred_at
            FROM ev CROSS JOIN (VALUES ('cookies.preferences'), ('cookies.statistics'), ('newsletter')) p(key)
            WHERE p.key <> 'newsletter' OR ev.subject_type = 'Customer'
        )
        INSERT INTO privacy.consent_proofs (event_id, ip_address, user_agent, ip_address_hash, user_agent_hash)
        SELECT id, ('10.' || get_byte(uuid_send(id), 13) || '.' || get_byte(uuid_send(id), 14) || '.' || get_byte(uuid_send(id), 15))::inet,
               'Mozilla/5.0 (X11; Linux x86_64) bench', encode(sha256(id::text::bytea), 'hex'), repeat('e', 64)
        FROM ev
        """;

    private const string LinkSql = """
        INSERT INTO privacy.consent_subject_links (visitor_id, customer_number, linked_at, linked_by)
        SELECT 'bv' || lpad(s::text, 30, '0'), (1000000 + s - s % 10)::text, now(), 'bench-loader'
        FROM generate_series($1::int, $2::int) s WHERE s % 20 = 5
        """;

    /// <summary>Adds subjects <paramref name="from"/>..<paramref name="to"/> in batches, then refreshes statistics.</summary>
    public static async Task LoadAsync(string connectionString, int from, int to, CancellationToken cancellationToken)
    {
        const int batch = 50_000;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Bulk load without per-row triggers (change notifications, append-only guards); the caches are told at the end.
        await using (var replica = new NpgsqlCommand("SET session_replication_role = replica", connection))
        {
            await replica.ExecuteNonQueryAsync(cancellationToken);
        }

        for (var start = from; start <= to; start += batch)
        {
            var end = Math.Min(to, start + batch - 1);
            foreach (var sql in new[] { LoadSql, LinkSql })
            {
                await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
                command.Parameters.AddWithValue(start);
                command.Parameters.AddWithValue(end);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            Console.Error.Write($"\r  loaded subjects up to {end:N0}   ");
        }

        Console.Error.WriteLine();
        await using (var flush = new NpgsqlCommand($"NOTIFY {Privacy.Api.Consent.ConsentStateCache.Channel}, '*'", connection))
        {
            await flush.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE privacy.consent_events, privacy.consent_choices, privacy.consent_proofs, privacy.consent_subject_links; CHECKPOINT;", connection)
        {
            CommandTimeout = 0,
        };
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }
}
