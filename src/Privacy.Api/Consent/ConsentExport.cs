using System.Buffers;
using System.Data;
using System.IO.Pipelines;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Csv;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;
using Privacy.Api.Retention;

namespace Privacy.Api.Consent;

/// <summary>
/// One line of the consent log export: one choice of one event (an event without choices has one line, its purpose empty).
/// The CSV has the same columns in this order, snake_case.
/// </summary>
/// <param name="ReceiptId">The event's id, also its receipt id (<c>GET /consent/receipts/{receiptId}</c>).</param>
/// <param name="Granted">What is in force after the event for <paramref name="Purpose"/>.</param>
/// <param name="Requested">What the person chose; differs from <paramref name="Granted"/> where Global Privacy Control denied it.</param>
/// <param name="IpAddress">The clear IP address of the proof, only while its retention period runs; empty after it, erased or not yet.</param>
/// <param name="UserAgent">The clear user agent, under the same rule as <paramref name="IpAddress"/>.</param>
/// <param name="KeyId">The data key the proof's keyed hashes were made with (<c>POST /consent/receipts/{receiptId}/proof-check</c>).</param>
/// <param name="ProofErasedAt">When the clear values were erased (by the sweep or a subject's erasure).</param>
public sealed record ConsentExportRow(
    Guid ReceiptId, DateTimeOffset OccurredAt, SubjectType SubjectType, string SubjectId, ConsentEventKind Kind, string? Purpose,
    bool? Granted, bool? Requested, string PolicyVersion, ConsentChannel Channel, string? NoticeId, string? NoticeHash, string Language,
    bool Gpc, string? GpcSource, string RecordedBy, string? IpAddress, string? UserAgent, string? IpAddressHash, string? UserAgentHash,
    string? KeyId, DateTimeOffset? ProofErasedAt);

/// <summary>The export's filters as the caller gave them, checked: the events in [from, to), with a choice for the purpose, …</summary>
public sealed record ConsentExportFilter(
    DateTimeOffset? From, DateTimeOffset? To, string? Purpose, ConsentChannel? Channel, string? PolicyVersion, SubjectType? SubjectType);

/// <summary>
/// The consent log for auditors (Art 7(1), 5(2)): every recorded decision and withdrawal, one line per choice, streamed from one
/// database snapshot in (occurred_at, id) order, in batches of events by keyset, written to the response as it is read (memory
/// does not grow with the rows). Proofs' clear IP addresses and user agents are withheld by the retention rule the sweep
/// follows (<see cref="ProofRetention"/>): once their period has run out they are never exported, swept or not. Ops only;
/// every export is audited with its filters.
/// </summary>
public static partial class ConsentExport
{
    public const string Csv = "text/csv";
    public const string Ndjson = "application/x-ndjson";

    /// <summary>Bytes written before the response is flushed to the client (backpressure: reading waits for a slow client).</summary>
    private const int FlushBytes = 64 * 1024;

    /// <summary>Instants in UTC to the microsecond PostgreSQL keeps, in CSV and NDJSON alike.</summary>
    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    public static void Map(RouteGroupBuilder consent) =>
        consent.MapGet("/events/export", Export)
            .WithName("ExportConsentEvents")
            .WithSummary("Export the consent log for auditors, as CSV or NDJSON")
            .WithDescription("Every recorded decision and withdrawal, oldest first (by `occurredAt`, then receipt id), **one line per choice** " +
                             "(event × purpose: what an auditor checks a consent against), with the event's policy version, channel, notice " +
                             "id and hash, language, GPC signal and who recorded it, and its proof: the keyed hashes of the IP address and user " +
                             "agent with their key id, and the clear values only while their retention period runs (consent_proof × " +
                             "user.device.ip_address, as the sweep applies it): past it they are empty, whether or not the sweep has erased them. " +
                             "Erased subjects appear under what erasure left (a keyed pseudonym or a random `erased:` token). " +
                             "`format`: `csv` (RFC 4180, UTF-8 with BOM, a header row; a text cell starting with = + - @, a tab or a carriage " +
                             "return gets a leading `'` so a spreadsheet never runs it) or `ndjson` (one JSON object per line, values as stored); " +
                             "without it the Accept header decides (`text/csv` or `application/x-ndjson`), else CSV. Filters: `from` ≤ " +
                             "`occurredAt` < `to` (instants), `purpose` (a registry purpose key: only that purpose's lines), `channel`, " +
                             "`policyVersion`, `subjectType`. Streamed from one snapshot of the database, for any number of events. Audited " +
                             "with its filters.")
            .WithQueryValues("format", ("csv", "CSV, RFC 4180, with a header row"), ("ndjson", "newline-delimited JSON, one object per line"))
            .WithQueryValues<ConsentChannel>("channel")
            .WithQueryValues<SubjectType>("subjectType")
            .RequireAuthorization(Platform.Security.Policies.Ops);

    public static async Task<Results<ExportResult, ValidationProblem>> Export(
        HttpContext http, PrivacyDbContext db, NpgsqlDataSource dataSource, ProofRetention retention, AuditTrail audit, TimeProvider time,
        IOptions<ConsentOptions> options,
        string? format, DateTimeOffset? from, DateTimeOffset? to, string? purpose, string? channel, string? policyVersion, string? subjectType,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var csv = format switch
        {
            "csv" => true,
            "ndjson" => false,
            null => !http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(Ndjson, StringComparison.OrdinalIgnoreCase)),
            _ => (bool?)null,
        };
        if (csv is null)
        {
            errors["format"] = ["'format' must be csv or ndjson."];
        }

        (from, to) = (from?.ToUniversalTime(), to?.ToUniversalTime()); // an instant with any offset; timestamptz takes UTC
        if (from > to)
        {
            errors["to"] = ["'to' must not be before 'from': the export covers from ≤ occurredAt < to."];
        }

        var filter = new ConsentExportFilter(from, to, purpose, EnumQuery.Parse<ConsentChannel>(channel, "channel", errors), policyVersion,
            EnumQuery.Parse<SubjectType>(subjectType, "subjectType", errors));
        // The values are never repeated in the answer: a mistyped filter may be anything, a person's data included.
        if (purpose is not null && !await db.Set<Purpose>().AnyAsync(p => p.Key == purpose, cancellationToken))
        {
            errors["purpose"] = ["'purpose' is not a purpose of the registry (GET /registry/purposes)."];
        }

        if (policyVersion is not null && !await db.Set<PolicyVersion>().AnyAsync(v => v.Version == policyVersion, cancellationToken))
        {
            errors["policyVersion"] = ["'policyVersion' is not a published policy version (GET /consent/policy-versions)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = time.GetUtcNow();
        var cutoff = await retention.CutoffAsync(now, cancellationToken);
        // Who exported what: the filters and the format, never a row (they are personal data, and in the export).
        audit.Record("consent.events_exported", "consent_events", Guid.CreateVersion7(now).ToString("N"), new
        {
            format = csv!.Value ? "csv" : "ndjson", from, to, purpose, channel = filter.Channel, policyVersion, subjectType = filter.SubjectType,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new ExportResult(dataSource, filter, cutoff, csv.Value, now, options.Value.ExportBatchSize);
    }

    /// <summary>The rows of one batch: the next <c>$5</c> events after ($3, $4) that pass the filters, their choices and proofs.</summary>
    internal static string BatchSql(ConsentExportFilter filter, ProofCutoff cutoff, List<object> parameters)
    {
        var where = new List<string> { "(e.occurred_at, e.id) > ($3, $4)" };
        string Next(object value)
        {
            parameters.Add(value);
            return $"${parameters.Count}";
        }

        if (filter.To is { } to)
        {
            where.Add($"e.occurred_at < {Next(to)}");
        }

        if (filter.Channel is { } channel)
        {
            where.Add($"e.channel = {Next(channel.ToString())}");
        }

        if (filter.PolicyVersion is { } version)
        {
            where.Add($"e.policy_version = {Next(version)}");
        }

        if (filter.SubjectType is { } type)
        {
            where.Add($"e.subject_type = {Next(type.ToString())}");
        }

        var choice = "";
        if (filter.Purpose is { } purpose)
        {
            var p = Next(purpose);
            where.Add($"EXISTS (SELECT 1 FROM privacy.consent_choices f WHERE f.event_id = e.id AND f.purpose_key = {p})");
            choice = $" AND c.purpose_key = {p}";
        }

        // The cutoff's condition reads e and $1, $2; a proof already erased has nothing to withhold.
        return $"""
            WITH e AS MATERIALIZED (
                SELECT e.* FROM privacy.consent_events e
                WHERE {string.Join(" AND ", where)}
                ORDER BY e.occurred_at, e.id LIMIT $5)
            SELECT e.id, e.occurred_at, e.subject_type, e.subject_id, e.kind, c.purpose_key, c.granted, c.requested, e.policy_version,
                   e.channel, e.notice_id, e.notice_hash, e.language, e.gpc, e.gpc_source, e.recorded_by,
                   CASE WHEN r.ended THEN NULL ELSE host(p.ip_address) END, CASE WHEN r.ended THEN NULL ELSE p.user_agent END,
                   p.ip_address_hash, p.user_agent_hash, p.key_id, p.erased_at
            FROM e
            LEFT JOIN privacy.consent_choices c ON c.event_id = e.id{choice}
            LEFT JOIN privacy.consent_proofs p ON p.event_id = e.id
            CROSS JOIN LATERAL (SELECT (p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL) AND ({cutoff.Ended}) AS ended) r
            ORDER BY e.occurred_at, e.id, c.purpose_key
            """;
    }

    /// <summary>Writes the export to the response as the rows are read; the caller going away cancels the query.</summary>
    public sealed class ExportResult(NpgsqlDataSource dataSource, ConsentExportFilter filter, ProofCutoff cutoff, bool csv, DateTimeOffset now, int batchSize)
        : IResult, IEndpointMetadataProvider
    {
        public async Task ExecuteAsync(HttpContext http)
        {
            var cancellationToken = http.RequestAborted;
            var parameters = new List<object> { cutoff.At.Ended, cutoff.At.ExpiredConsentEnded, filter.From ?? DateTimeOffset.MinValue, Guid.Empty, batchSize };
            var sql = BatchSql(filter, cutoff, parameters);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            // One snapshot for every batch: the export is the log as it stood when it started, whatever is recorded or erased meanwhile.
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
            await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
            {
                await readOnly.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var value in parameters)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await command.PrepareAsync(cancellationToken);

            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = csv ? $"{Csv}; charset=utf-8" : $"{Ndjson}; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"consent-events-{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.{(csv ? "csv" : "ndjson")}\"";
            http.Response.Headers.CacheControl = "no-store"; // personal data: no cache keeps a copy
            var body = http.Response.BodyWriter;
            IRowWriter writer = csv ? new CsvRows(body) : new JsonRows(body);
            while (true)
            {
                var events = 0;
                var row = new Row();
                await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var id = reader.GetGuid(0);
                        events += id == row.Id ? 0 : 1;
                        row.Read(reader, id);
                        writer.Write(row);
                        if (body.UnflushedBytes >= FlushBytes)
                        {
                            await body.FlushAsync(cancellationToken);
                        }
                    }
                }

                if (events < batchSize)
                {
                    break;
                }

                command.Parameters[2].Value = row.OccurredAt;
                command.Parameters[3].Value = row.Id;
            }

            writer.Complete();
            await body.FlushAsync(cancellationToken);
        }

        public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
        {
            builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(ConsentExportRow), [Ndjson, Csv]));
        }
    }
}
