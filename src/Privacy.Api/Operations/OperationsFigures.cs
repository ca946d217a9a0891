using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Requests;

namespace Privacy.Api.Operations;

/// <summary>The figures read from the database, all as of <see cref="At"/>.</summary>
public sealed record DatabaseFigures(DateTimeOffset At, RightsRequestFigures RightsRequests, OutboxFigures Outbox, long RetentionDueNow);

/// <summary>
/// The one reader of the database figures behind the Prometheus gauges and the ops dashboard, so the two always agree.
/// Each is an indexed count; the snapshot is reused for <see cref="OperationsOptions.FiguresCacheDuration"/> and read by
/// one caller at a time, so scrapes from several Prometheus servers do not each query the database.
/// </summary>
public sealed class OperationsFigures(NpgsqlDataSource dataSource, TimeProvider time, IOptions<OperationsOptions> options)
{
    // Open and overdue as GET /requests?due=open|overdue has them (RequestWorkflow.IsOpen; the extended due date counts).
    private const string RequestsSql = """
        SELECT type, count(*)::int, count(*) FILTER (WHERE coalesce(extended_due_at, due_at) < $1)::int
        FROM privacy.rights_requests WHERE status IN ('Received', 'IdentityVerified', 'InProgress')
        GROUP BY type ORDER BY type
        """;

    // Pending as GET /notifier/status has it: neither delivered nor dead-lettered; each count has a partial index.
    private const string OutboxAndRetentionSql = """
        SELECT (SELECT count(*) FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL),
               (SELECT min(created_at) FROM privacy.outbox_messages WHERE delivered_at IS NULL AND dead_lettered_at IS NULL),
               (SELECT count(*) FROM privacy.outbox_messages WHERE dead_lettered_at IS NOT NULL),
               (SELECT count(*) FROM privacy.retention_subjects WHERE next_due_at <= $1)
        """;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile DatabaseFigures? _latest;

    /// <summary>The last figures read, without touching the database (null before the first read).</summary>
    public DatabaseFigures? Latest => _latest;

    /// <summary>The cached figures while they are fresh; otherwise reads them (one caller at a time; the others wait and share).</summary>
    public async Task<DatabaseFigures> CurrentAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } fresh)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            return Fresh() ?? (_latest = await ReadAsync(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    private DatabaseFigures? Fresh() =>
        _latest is { } latest && time.GetUtcNow() - latest.At < options.Value.FiguresCacheDuration ? latest : null;

    private async Task<DatabaseFigures> ReadAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(BatchCommands.Create(RequestsSql, now));
        batch.BatchCommands.Add(BatchCommands.Create(OutboxAndRetentionSql, now));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var counted = new Dictionary<RequestType, RequestTypeFigures>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var type = Enum.Parse<RequestType>(reader.GetString(0));
            counted[type] = new RequestTypeFigures(type, reader.GetInt32(1), reader.GetInt32(2));
        }

        // Every kind, 0 included: an alert on overdue erasures needs a series that exists before the first one is late.
        var byType = Enum.GetValues<RequestType>().Select(t => counted.GetValueOrDefault(t) ?? new RequestTypeFigures(t, 0, 0)).ToList();

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        DateTimeOffset? oldest = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        var outbox = new OutboxFigures(reader.GetInt64(0), reader.GetInt64(2), oldest,
            oldest is { } since && since < now ? Math.Round((now - since).TotalSeconds, 3) : 0);
        return new DatabaseFigures(now, new RightsRequestFigures(byType.Sum(t => t.Open), byType.Sum(t => t.Overdue), byType),
            outbox, reader.GetInt64(3));
    }
}
