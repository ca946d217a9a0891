using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// The retention sweep (<c>POST /retention/sweeps</c> with the ops key) erases the clear IP address and user agent of
/// <see cref="BenchmarkOptions.SweepRecords"/> consent proofs whose consent ended long ago (the store <c>consent-proofs</c>,
/// rule consent_proof × user.device.ip_address, P12M after the consent ended), in batches of <see cref="BatchSize"/>;
/// against a plain batched <c>UPDATE</c> loop over the same rows with the same batch size, each batch its own transaction.
/// Records per second; every proof must be erased exactly once, and no other. Then the consent-state read
/// (<c>GET /consent/subjects/{type}/{id}</c>, wrk, as the consent-state scenario drives it) while the sweep runs, against the
/// same reads with no sweep: the ratio of the p99s.
/// </summary>
/// <remarks>
/// <para>
/// The scenario has a database of its own in the harness's cluster (<see cref="DatabaseName"/>) with its own instance of the
/// service, with its background sweeper off (the sweeps are the scenario's, timed from the request; the main instance's sweeper
/// would erase the rows before they are measured) and its relay off. The instance reads without the consent-state
/// cache, so that every read runs the state query against the tables the sweep is writing (a cache hit reads none of them).
/// </para>
/// <para>
/// The database holds the consent data set (<see cref="DataSet"/>) of <see cref="ReadSubjects"/> subjects, recent and not due,
/// which the reads use, and the records to sweep: visitors <c>br…</c> with 1–3 banner decisions each (some withdrawals, some
/// under GPC), their choices, and a proof with an IP address and a user agent, about three years old, so every one of them is
/// due (expired after Consent:ValidityMonths, twelve, and the rule's twelve months since; half of them also superseded). They are
/// written with binary COPY and the same event ids every time (UUID v7 from the event time, as the service makes them, with a
/// counter for the random part). Before each of the three sweeps (the baseline, the service alone, the service under reads) the
/// consent tables are truncated and loaded again the same way, then <c>VACUUM ANALYZE</c> and <c>CHECKPOINT</c>: each sweep
/// starts from the same rows with fresh statistics. The database is left in the cluster after the run, for looking at plans.
/// </para>
/// </remarks>
internal sealed class RetentionSweepScenario : IScenario
{
    public const int DefaultRecords = 1_000_000;

    /// <summary><c>Retention:StoreBatchSize</c>'s default; the instance is given it explicitly, the baseline uses it too.</summary>
    public const int BatchSize = 1000;

    /// <summary>Subjects of the consent data set the reads use (none of them is due).</summary>
    private const int ReadSubjects = 100_000;

    private const string DatabaseName = "privacy_retention";
    private const string SubjectPrefix = "br";
    private const string Store = "consent-proofs";

    /// <summary>
    /// The baseline's batch: the next <see cref="BatchSize"/> proofs after <c>$1</c> (event id order) that still hold a clear
    /// IP address and whose event is more than two years old (expired after twelve months, then twelve months of the rule;
    /// every record loaded here, and no subject of the data set), erased as the sweep erases them. One statement, in its own
    /// transaction; returns the rows changed and the last event id. The cursor is given for both tables (<c>e.id &gt; $1</c>):
    /// the planner does not carry it over the join's equality, and its merge join (both primary keys in order) would otherwise
    /// read every event before the cursor again in every batch.
    /// </summary>
    private static readonly string BaselineSql = $"""
        WITH changed AS (
            UPDATE privacy.consent_proofs SET ip_address = NULL, user_agent = NULL, erased_at = now()
            WHERE event_id IN (SELECT p.event_id FROM privacy.consent_proofs p JOIN privacy.consent_events e ON e.id = p.event_id
                               WHERE p.ip_address IS NOT NULL AND p.event_id > $1 AND e.id > $1 AND e.occurred_at <= now() - interval '24 months'
                               ORDER BY p.event_id LIMIT {BatchSize})
            RETURNING event_id)
        SELECT (SELECT count(*) FROM changed)::int, (SELECT event_id FROM changed ORDER BY event_id DESC LIMIT 1)
        """;

    /// <summary>Erased and untouched proofs, of the loaded records (<c>br…</c>) and of the data set.</summary>
    private const string CheckSql = $"""
        SELECT count(*) FILTER (WHERE mine AND p.ip_address IS NULL AND p.user_agent IS NULL AND p.erased_at IS NOT NULL),
               count(*) FILTER (WHERE mine AND (p.ip_address IS NOT NULL OR p.user_agent IS NOT NULL OR p.erased_at IS NULL)),
               count(*) FILTER (WHERE NOT mine AND (p.ip_address IS NULL OR p.user_agent IS NULL OR p.erased_at IS NOT NULL)),
               count(*) FILTER (WHERE NOT mine)
        FROM (SELECT p.*, e.subject_id LIKE '{SubjectPrefix}%' AS mine FROM privacy.consent_proofs p JOIN privacy.consent_events e ON e.id = p.event_id) p
        """;

    private const string Checked = "every proof erased exactly once, no other; no speed target yet";

    /// <summary>
    /// Before the idle reads, the instance (which has only swept so far) serves reads for this long: in a first version, with
    /// the 3-second warm-up only, the idle reads gave a p99 of 490 ms at 5,741 requests/s, and those during the sweep that
    /// followed 238 ms at 7,897 requests/s (a freshly started process, as in the request fan-out).
    /// </summary>
    private static readonly TimeSpan ReadWarmUp = TimeSpan.FromSeconds(30);

    private static readonly string[] Purposes = ["cookies.preferences", "cookies.statistics"];

    public string Name => "retention-sweep";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var records = context.Options.SweepRecords;
        var connectionString = await context.Database.RecreateAsync(DatabaseName, cancellationToken);
        Console.Error.WriteLine($"  starting an instance of the service on {DatabaseName} (sweeper, relay and consent-state cache off)…");
        await using var service = await context.StartServiceAsync(connectionString, new Dictionary<string, string>
        {
            ["Retention__SweepEnabled"] = "false",
            ["Retention__StoreBatchSize"] = BatchSize.ToString(CultureInfo.InvariantCulture),
            ["Notifier__RelayEnabled"] = "false",
            ["Consent__StateCache"] = "false",
        }, cancellationToken);
        var instance = context.For(service, ReadSubjects);
        using var ops = new HttpClient { BaseAddress = new Uri(service.BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        ops.DefaultRequestHeaders.Add("X-Api-Key", context.OpsKey);

        // The same records every time: the event times are fixed once, the ids follow from them.
        var start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddYears(-3).ToUnixTimeMilliseconds());

        await LoadAsync(connectionString, records, start, cancellationToken);
        var baseline = await BaselineAsync($"batched UPDATE … LIMIT {BatchSize}, a transaction each, {records:N0} proofs (records/s; ms per batch)",
            connectionString, records, cancellationToken);

        await LoadAsync(connectionString, records, start, cancellationToken);
        var sweep = await SweepAsync($"POST /retention/sweeps, {records:N0} consent proofs (records/s; ms of the whole sweep)", ops, service,
            connectionString, records, cancellationToken);
        var ratio = sweep.Measurement.RequestsPerSecond / baseline.Measurement.RequestsPerSecond;
        Console.Error.WriteLine($"  service ÷ baseline: {ratio:N2}×");

        // The reads last nine tenths of the time the sweep alone took (under the reads it is slower still), at most --duration,
        // idle and then from the moment the sweep is requested, without a warm-up in between.
        await LoadAsync(connectionString, records, start, cancellationToken);
        var seconds = (int)Math.Min(context.Options.Duration.TotalSeconds, Math.Floor(sweep.Measurement.Seconds * 0.9));
        if (seconds < 1)
        {
            Console.Error.WriteLine($"  the sweep took {sweep.Measurement.Seconds:N1} s: too short to read during it (use more --sweep-records)");
            return [new ResultRow(Name, sweep.Measurement, baseline.Measurement, ratio, Checked, baseline.Complete && sweep.Complete)];
        }

        var duration = TimeSpan.FromSeconds(seconds);
        var connections = context.Options.Connections;
        await instance.LoadServiceAsync($"(warm-up: {ReadWarmUp.TotalSeconds:N0} s of reads)", "state.lua", ReadWarmUp, connections,
            cancellationToken: cancellationToken);
        var idle = await instance.LoadServiceAsync("GET state, no sweep (cache off)", "state.lua", duration, connections,
            cancellationToken: cancellationToken);
        var running = SweepAsync("(the sweep under reads)", ops, service, connectionString, records, cancellationToken);
        var busy = await instance.MeasureServiceAsync("GET state during the sweep (cache off)", "state.lua", duration, connections,
            cancellationToken: cancellationToken);
        var throughout = !running.IsCompleted;
        var underReads = await running;
        Console.Error.WriteLine($"  the sweep {(throughout ? "was still running when the reads ended" : "ENDED BEFORE THE READS DID")}; " +
                                $"p99 during ÷ idle: {busy.P99Ms / idle.P99Ms:N2}×, p50 {busy.P50Ms / idle.P50Ms:N2}×, req/s {busy.RequestsPerSecond / idle.RequestsPerSecond:N2}×");
        return
        [
            new ResultRow(Name, sweep.Measurement, baseline.Measurement, ratio, Checked, baseline.Complete && sweep.Complete),
            new ResultRow(Name, busy with { Name = $"{busy.Name}, sweep at {underReads.Measurement.RequestsPerSecond:N0} records/s" }, idle,
                busy.P99Ms / idle.P99Ms, "p99 during ÷ idle; errors = 0, the sweep ran throughout and erased every proof once; no latency target yet",
                busy.Errors == 0 && idle.Errors == 0 && throughout && underReads.Complete),
        ];
    }

    /// <summary>
    /// Empties the consent tables, writes the <paramref name="records"/> records to sweep (binary COPY), then the consent data
    /// set's <see cref="ReadSubjects"/> subjects (which ends with <c>VACUUM ANALYZE</c> of the consent tables and a
    /// <c>CHECKPOINT</c>). Without row triggers, as the data set is loaded: no change notifications, no retention clocks.
    /// </summary>
    private static async Task LoadAsync(string connectionString, int records, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using (var setup = new NpgsqlCommand("""
                SET session_replication_role = replica;
                TRUNCATE privacy.consent_proofs, privacy.consent_choices, privacy.consent_subject_links, privacy.consent_events;
                """, connection))
            {
                await setup.ExecuteNonQueryAsync(cancellationToken);
            }

            var events = Events(records, start);
            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY privacy.consent_events (id, subject_type, subject_id, kind, policy_version, channel, notice_id, notice_hash, language, gpc,
                                             gpc_source, occurred_at, recorded_by) FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                var noticeHash = new string('a', 64);
                foreach (var e in events)
                {
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(e.Id, NpgsqlDbType.Uuid, cancellationToken);
                    await writer.WriteAsync("Visitor", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(Subject(e.Subject), NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(e.Withdrawal ? "Withdrawal" : "Decision", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync("2022-02-08", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(e.Withdrawal ? "SettingsPage" : "Banner", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync("banner-v1-sv", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(noticeHash, NpgsqlDbType.Char, cancellationToken);
                    await writer.WriteAsync("sv", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(e.Gpc, NpgsqlDbType.Boolean, cancellationToken);
                    if (e.Gpc)
                    {
                        await writer.WriteAsync("header", NpgsqlDbType.Varchar, cancellationToken);
                    }
                    else
                    {
                        await writer.WriteNullAsync(cancellationToken);
                    }

                    await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                    await writer.WriteAsync("bench-retention", NpgsqlDbType.Varchar, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }

            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY privacy.consent_choices (event_id, purpose_key, granted, requested, subject_type, subject_id, occurred_at) FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                foreach (var e in events)
                {
                    for (var p = 0; p < Purposes.Length; p++)
                    {
                        var granted = !e.Withdrawal && (e.Subject + p) % 3 != 0;
                        await writer.StartRowAsync(cancellationToken);
                        await writer.WriteAsync(e.Id, NpgsqlDbType.Uuid, cancellationToken);
                        await writer.WriteAsync(Purposes[p], NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(granted, NpgsqlDbType.Boolean, cancellationToken);
                        await writer.WriteAsync(granted, NpgsqlDbType.Boolean, cancellationToken);
                        await writer.WriteAsync("Visitor", NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(Subject(e.Subject), NpgsqlDbType.Varchar, cancellationToken);
                        await writer.WriteAsync(e.At, NpgsqlDbType.TimestampTz, cancellationToken);
                    }
                }

                await writer.CompleteAsync(cancellationToken);
            }

            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY privacy.consent_proofs (event_id, ip_address, user_agent, ip_address_hash, user_agent_hash) FROM STDIN (FORMAT BINARY)
                """, cancellationToken))
            {
                var agentHash = new string('e', 64);
                for (var i = 0; i < events.Length; i++)
                {
                    var ip = new IPAddress(new byte[] { 10, (byte)(i >> 16), (byte)(i >> 8), (byte)i });
                    await writer.StartRowAsync(cancellationToken);
                    await writer.WriteAsync(events[i].Id, NpgsqlDbType.Uuid, cancellationToken);
                    await writer.WriteAsync(ip, NpgsqlDbType.Inet, cancellationToken);
                    await writer.WriteAsync("Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", NpgsqlDbType.Varchar, cancellationToken);
                    await writer.WriteAsync(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ip.ToString()))), NpgsqlDbType.Char,
                        cancellationToken);
                    await writer.WriteAsync(agentHash, NpgsqlDbType.Char, cancellationToken);
                }

                await writer.CompleteAsync(cancellationToken);
            }
        }

        var copied = clock.Elapsed;
        await DataSet.LoadAsync(connectionString, 1, ReadSubjects, cancellationToken);
        Console.Error.WriteLine($"  loaded {records:N0} records to sweep in {copied.TotalSeconds:N1} s (COPY), the data set's {ReadSubjects:N0} subjects, " +
                                $"VACUUM ANALYZE and CHECKPOINT in {(clock.Elapsed - copied).TotalSeconds:N1} s");
    }

    /// <summary>
    /// The events to sweep: visitor <c>s</c> (from 1) has <c>1 + s % 3</c> of them, 20 days apart from about three years ago, the
    /// later ones withdrawals when <c>s % 7 = 0</c>, under GPC when <c>s % 13 = 0</c>; <paramref name="records"/> in all, in time order.
    /// </summary>
    private static SweepEvent[] Events(int records, DateTimeOffset start)
    {
        var events = new SweepEvent[records];
        var n = 0;
        for (var s = 1; n < records; s++)
        {
            for (var e = 1; e <= 1 + s % 3 && n < records; e++, n++)
            {
                var at = start.AddDays(20 * (e - 1)).AddSeconds(s);
                events[n] = new SweepEvent(Version7(at, n), s, e > 1 && s % 7 == 0, s % 13 == 0, at);
            }
        }

        return [.. events.OrderBy(e => e.At)];
    }

    /// <summary>A UUID v7 of the event time with a counter for the random part: the same ids in every load.</summary>
    private static Guid Version7(DateTimeOffset at, long counter)
    {
        Span<byte> bytes = stackalloc byte[16];
        var ms = at.ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(ms >> (8 * (5 - i)));
        }

        bytes[6] = 0x70;
        bytes[8] = 0x80;
        for (var i = 0; i < 7; i++)
        {
            bytes[15 - i] = (byte)(counter >> (8 * i));
        }

        return new Guid(bytes, bigEndian: true);
    }

    private static string Subject(int s) => SubjectPrefix + s.ToString(CultureInfo.InvariantCulture).PadLeft(30, '0');

    /// <summary>The baseline: the batch statement again and again on one connection until it changes nothing.</summary>
    private static async Task<Run> BaselineAsync(string name, string connectionString, int records, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(BaselineSql, connection) { CommandTimeout = 0 };
        var cursor = new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = Guid.Empty };
        command.Parameters.Add(cursor);
        await command.PrepareAsync(cancellationToken);
        var latencies = new List<double>(records / BatchSize + 1);
        var changed = 0L;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var sent = Stopwatch.GetTimestamp();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var rows = reader.GetInt32(0);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            if (rows == 0)
            {
                break;
            }

            changed += rows;
            cursor.TypedValue = reader.GetGuid(1);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        var measurement = new Measurement(name, "Npgsql", 1, seconds, changed, 0, changed / seconds, Percentile(latencies, 0.50),
            Percentile(latencies, 0.99), latencies.Average());
        Console.Error.WriteLine($"  {name,-44} {measurement.RequestsPerSecond,10:N0} records/s  {seconds:N1} s  {latencies.Count:N0} batches, " +
                                $"p50 {measurement.P50Ms:N2} ms  p99 {measurement.P99Ms:N2} ms  max {latencies[^1]:N2} ms");
        return new Run(measurement, await CheckAsync(connectionString, records, changed, cancellationToken));
    }

    /// <summary>One <c>POST /retention/sweeps</c>, timed from the request to the answer, with the service's CPU time.</summary>
    private static async Task<Run> SweepAsync(string name, HttpClient ops, ServiceUnderTest service, string connectionString, int records,
        CancellationToken cancellationToken)
    {
        var cpuBefore = service.CpuTime();
        var clock = Stopwatch.StartNew();
        using var response = await ops.PostAsync("/retention/sweeps", null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = service.CpuTime() - cpuBefore;
        long rows = 0, others = 0;
        var subjects = 0;
        if (response.IsSuccessStatusCode)
        {
            using var json = JsonDocument.Parse(body);
            subjects = json.RootElement.GetProperty("subjectsEvaluated").GetInt32();
            foreach (var store in json.RootElement.GetProperty("stores").EnumerateArray())
            {
                var changed = store.GetProperty("rows").GetInt64();
                if (store.GetProperty("store").GetString() == Store)
                {
                    rows += changed;
                }
                else
                {
                    others += changed;
                }
            }
        }
        else
        {
            Console.Error.WriteLine($"    POST /retention/sweeps: {(int)response.StatusCode} {body}");
        }

        var ms = seconds * 1000;
        // One request: its latency columns are the whole sweep's time.
        var measurement = new Measurement(name, "HttpClient", 1, seconds, rows, response.IsSuccessStatusCode ? 0 : 1, rows / seconds, ms, ms, ms,
            rows == 0 ? null : cpu.TotalMilliseconds / rows);
        Console.Error.WriteLine($"  {name,-44} {measurement.RequestsPerSecond,10:N0} records/s  {seconds:N1} s  {(int)response.StatusCode}: " +
                                $"{rows:N0} rows of {Store}, {others:N0} of other stores, {subjects:N0} customers evaluated; " +
                                $"CPU {cpu.TotalSeconds:N1} s ({measurement.CpuMsPerRequest:N3} ms/record)");
        return new Run(measurement, response.IsSuccessStatusCode && others == 0 && await CheckAsync(connectionString, records, rows, cancellationToken));
    }

    /// <summary>
    /// Every record's proof erased and no proof of the data set touched, with as many rows reported changed as there are records:
    /// no proof was erased twice.
    /// </summary>
    private static async Task<bool> CheckAsync(string connectionString, int records, long reported, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(CheckSql, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (erased, left, touched, others) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        var complete = erased == records && left == 0 && touched == 0 && reported == records;
        Console.Error.WriteLine($"    {erased:N0} of {records:N0} proofs erased, {left:N0} not, {reported:N0} rows reported changed; " +
                                $"{touched:N0} of the data set's {others:N0} proofs touched: {(complete ? "complete" : "NOT COMPLETE")}");
        return complete;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private readonly record struct SweepEvent(Guid Id, int Subject, bool Withdrawal, bool Gpc, DateTimeOffset At);

    private sealed record Run(Measurement Measurement, bool Complete);
}
