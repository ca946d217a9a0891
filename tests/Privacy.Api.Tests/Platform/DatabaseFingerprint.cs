using Npgsql;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Row count and an order-independent hash of the rows of every table in the <c>privacy</c> schema, so a test can
/// tell that a request changed nothing. Leaves out only the columns the background services change on their own.
/// </summary>
public sealed class DatabaseFingerprint
{
    /// <summary>
    /// Columns written by background services, not by requests: the audit sealer chains committed entries; the outbox
    /// relay claims, attempts and marks messages delivered, and disables an endpoint that answers 410. The rows
    /// themselves (their number and every other column) are still compared.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> BackgroundColumns = new Dictionary<string, string[]>
    {
        ["audit_entries"] = ["chain_position", "previous_seal", "seal", "sealed_at"],
        ["outbox_messages"] =
        [
            "attempts", "last_attempt_at", "last_status_code", "last_error", "delivered_at", "next_attempt_at", "dead_lettered_at",
            "claimed_by", "claimed_until",
        ],
        ["webhook_endpoints"] = ["disabled_at", "disabled_reason"],
    };

    /// <summary>
    /// Tables only background services write: every replica writes its keys' last-used times (ApiKeyUsage) every
    /// ApiKeys:LastUsedFlushInterval, whatever the request being watched. No request writes them.
    /// </summary>
    public static readonly IReadOnlySet<string> BackgroundTables = new HashSet<string>(StringComparer.Ordinal) { "api_key_last_use" };

    private readonly string _sql;

    private DatabaseFingerprint(string sql, int tables) => (_sql, TableCount) = (sql, tables);

    public int TableCount { get; }

    public static async Task<DatabaseFingerprint> CreateAsync(NpgsqlConnection connection)
    {
        var columns = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        var tablesLeftOut = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
                         """
                         SELECT c.table_name, c.column_name FROM information_schema.columns c
                         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                         WHERE c.table_schema = 'privacy' AND t.table_type = 'BASE TABLE'
                         ORDER BY c.table_name, c.ordinal_position
                         """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var (table, column) = (reader.GetString(0), reader.GetString(1));
                if (BackgroundTables.Contains(table))
                {
                    tablesLeftOut.Add(table);
                    continue;
                }

                if (BackgroundColumns.TryGetValue(table, out var skipped) && skipped.Contains(column))
                {
                    continue;
                }

                (columns.TryGetValue(table, out var list) ? list : columns[table] = []).Add(column);
            }
        }

        Assert.True(columns.Count >= 20, $"only {columns.Count} tables in the privacy schema");
        foreach (var table in BackgroundColumns.Keys)
        {
            Assert.True(columns.ContainsKey(table), $"{table} is gone: update {nameof(BackgroundColumns)}");
        }

        foreach (var table in BackgroundTables)
        {
            Assert.True(tablesLeftOut.Contains(table), $"{table} is gone: update {nameof(BackgroundTables)}");
        }

        var selects = columns.Select(t =>
            $"SELECT '{t.Key}' AS t, count(*) AS n, coalesce(sum(hashtextextended(ROW({string.Join(", ", t.Value.Select(Quote))})::text, 0)), 0)::text AS h " +
            $"FROM privacy.{Quote(t.Key)}");
        return new DatabaseFingerprint(string.Join("\nUNION ALL\n", selects), columns.Count);
    }

    /// <summary>table → "rows:hash".</summary>
    public async Task<Dictionary<string, string>> TakeAsync(NpgsqlConnection connection)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(_sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = $"{reader.GetInt64(1)} rows:{reader.GetString(2)}";
        }

        return result;
    }

    /// <summary>The tables whose fingerprint differs, e.g. <c>audit_entries (3 rows:… → 4 rows:…)</c>.</summary>
    public static IReadOnlyList<string> Differences(Dictionary<string, string> before, Dictionary<string, string> after) =>
        [.. before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(t => before.GetValueOrDefault(t) != after.GetValueOrDefault(t))
            .Select(t => $"{t} ({before.GetValueOrDefault(t) ?? "missing"} → {after.GetValueOrDefault(t) ?? "missing"})")];

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
