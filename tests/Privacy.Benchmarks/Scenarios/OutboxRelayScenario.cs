using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Npgsql;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// The outbox relay delivers <see cref="BenchmarkOptions.OutboxMessages"/> messages written straight into
/// <c>privacy.outbox_messages</c> to a loopback webhook receiver in this process (registered as the recipients'
/// endpoint through <c>PUT /notifier/endpoints/{recipient}</c>), until the table says every one is delivered; against
/// an HttpClient POST loop from this process to the same receiver with the same bodies and the same concurrency
/// (the relay sends each recipient's messages one after another and recipients in parallel: one recipient is one
/// request at a time). Once with one recipient, once with <see cref="SeveralRecipients"/>. Messages per second; every
/// message must reach the receiver at least once (duplicates are counted, at-least-once allows them).
/// </summary>
/// <remarks>
/// The relay's rate is counted from the first request the receiver saw to the poll that found every message
/// delivered, so it leaves out how long an idle relay took to notice the new rows (at most
/// <c>Notifier:PollInterval</c>, 1 s); that pickup time is printed apart. Each message has its own ordering key, so
/// the per-subject ordering does not hold any back.
/// </remarks>
internal sealed class OutboxRelayScenario : IScenario
{
    /// <summary>The seeded recipients, then the ones this scenario adds to the registry for the several-recipient run.</summary>
    private static readonly string[] Recipients = ["card-provider", "invoicing-partner", "bench-relay-3", "bench-relay-4"];

    private const int SeveralRecipients = 4;

    /// <summary>The baseline sends the bodies over and over for at least this long (once is a fraction of a second).</summary>
    private static readonly TimeSpan BaselineTime = TimeSpan.FromSeconds(3);

    /// <summary>A run that makes no progress for this long is given up and reported incomplete.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The body of message <c>g</c> with id <c>mid</c>: a follow-up (erase) as <c>Outbox.Enqueue</c> writes it for
    /// <c>FollowUps</c> (<c>{"type", "timestamp", "data"}</c> with a <c>FollowUpNotice</c>). About 560 bytes as the
    /// relay sends it (<c>payload::text</c>).
    /// </summary>
    private const string PayloadSql = """
        jsonb_build_object('type', 'follow_up.erase', 'timestamp', now(), 'data', jsonb_build_object(
            'id', 5000000 + g, 'messageId', mid, 'action', 'erase', 'customerNumber', (1000000 + g % 300000)::text,
            'categories', jsonb_build_array('user.name', 'user.contact.email', 'user.contact.phone_number', 'user.payment'),
            'purposes', jsonb_build_array('customer_obligations'), 'corrections', NULL,
            'reason', 'The customer asked to be forgotten (Art 17(1)(a)).', 'reference', 'DSR-' || (70000000 + g),
            'createdAt', now(), 'acknowledge', '/partner/follow-ups/' || (5000000 + g) || '/acknowledgement'))
        """;

    /// <summary>Messages 1..$3 to the recipients $1 in turn, each with its own ordering key, due now.</summary>
    private const string InsertSql = $"""
        INSERT INTO privacy.outbox_messages (message_id, recipient_key, event_type, payload, ordering_key, created_at, next_attempt_at, attempts)
        SELECT mid, ($1::text[])[1 + g % cardinality($1::text[])], 'follow_up.erase', {PayloadSql}, $2 || '-' || g, now(), now(), 0
        FROM (SELECT g, gen_random_uuid() AS mid FROM generate_series(1, $3) g) s
        RETURNING id, message_id
        """;

    private const string BodiesSql = $"""
        SELECT ({PayloadSql})::text FROM (SELECT g, gen_random_uuid() AS mid FROM generate_series(1, $1) g) s ORDER BY g
        """;

    private const string ProgressSql = """
        SELECT count(*) FILTER (WHERE delivered_at IS NOT NULL), count(*) FILTER (WHERE dead_lettered_at IS NOT NULL), coalesce(sum(attempts), 0)
        FROM privacy.outbox_messages WHERE id BETWEEN $1 AND $2
        """;

    private int _run;

    public string Name => "outbox-relay";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Options.OutboxMessages;
        await using var receiver = await WebhookReceiver.StartAsync();
        await PrepareAsync(context, receiver, cancellationToken);

        // What the relay's webhook client is, less the SSRF guard's connect callback.
        using var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        }) { Timeout = TimeSpan.FromSeconds(10) };
        var bodies = await BodiesAsync(context.Database.ConnectionString, count, cancellationToken);
        Console.Error.WriteLine($"  {bodies.Count:N0} bodies of {bodies.Average(b => b.Length):N0} bytes on average");

        // Warm-up: JIT tiers, pooled connections (HTTP and database) and the relay's per-recipient pipelines settle first.
        var warmUp = Math.Min(count, 2000);
        await PostLoopAsync("(warm-up)", client, receiver, bodies[..warmUp], SeveralRecipients, cancellationToken);
        await RelayAsync("(warm-up)", context, receiver, warmUp, Recipients, cancellationToken);

        var rows = new List<ResultRow>();
        foreach (var senders in new[] { 1, SeveralRecipients })
        {
            var who = senders == 1 ? "1 recipient" : $"{senders} recipients";
            var baseline = await PostLoopAsync($"HttpClient POST loop, {senders} at a time, same bodies (msg/s; ms between a sender's messages)",
                client, receiver, bodies, senders, cancellationToken);
            var relay = await RelayAsync($"outbox relay, {count:N0} messages to {who}",
                context, receiver, count, Recipients[..senders], cancellationToken);
            rows.Add(new ResultRow(Name, relay.Measurement, baseline.Measurement, relay.Measurement.RequestsPerSecond / baseline.Measurement.RequestsPerSecond,
                "every message delivered and received at least once; no speed target yet", relay.Complete && baseline.Complete));
        }

        return rows;
    }

    /// <summary>
    /// Adds the extra recipients to the registry, points every recipient's endpoint at the receiver, and lets whatever was
    /// already waiting for them (follow-ups raised by other scenarios, none so far) go out before anything is measured.
    /// </summary>
    private static async Task PrepareAsync(BenchContext context, WebhookReceiver receiver, CancellationToken cancellationToken)
    {
        using var ops = new HttpClient { BaseAddress = new Uri(context.Service.BaseUrl) };
        ops.DefaultRequestHeaders.Add("X-Api-Key", context.OpsKey);
        foreach (var recipient in Recipients[2..])
        {
            using var created = await ops.PostAsJsonAsync("/registry/recipients", new
            {
                key = recipient, name = $"Benchmark webhook receiver {recipient[^1]}", kind = "processor", country = "SE",
            }, cancellationToken);
            if (created.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
            {
                throw new InvalidOperationException($"POST /registry/recipients ({recipient}): {(int)created.StatusCode} " +
                                                    await created.Content.ReadAsStringAsync(cancellationToken));
            }
        }

        await using var connection = new NpgsqlConnection(context.Database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        var waiting = await PendingAsync(connection, cancellationToken);
        foreach (var recipient in Recipients)
        {
            // 201 answers the signing secret; the receiver does not check signatures (the tests do), only that they are there.
            using var set = await ops.PutAsJsonAsync($"/notifier/endpoints/{recipient}", new { url = $"{receiver.BaseUrl}/hooks/{recipient}" },
                cancellationToken);
            if (set.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.OK))
            {
                throw new InvalidOperationException($"PUT /notifier/endpoints/{recipient}: {(int)set.StatusCode} " +
                                                    await set.Content.ReadAsStringAsync(cancellationToken));
            }
        }

        var clock = Stopwatch.StartNew();
        while (waiting > 0 && await PendingAsync(connection, cancellationToken) > 0 && clock.Elapsed < Stall)
        {
            await Task.Delay(100, cancellationToken);
        }

        var left = await PendingAsync(connection, cancellationToken);
        Console.Error.WriteLine($"  endpoints of {string.Join(", ", Recipients)} → {receiver.BaseUrl}/hooks/…; " +
                                $"{waiting:N0} messages were waiting for them, {left:N0} still are");
        receiver.Take();
        if (left > 0)
        {
            throw new InvalidOperationException($"{left:N0} earlier outbox messages to the benchmark's recipients are not delivered.");
        }
    }

    private static async Task<long> PendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var pending = new NpgsqlCommand(
            "SELECT count(*) FROM privacy.outbox_messages WHERE recipient_key = ANY($1) AND delivered_at IS NULL AND dead_lettered_at IS NULL",
            connection);
        pending.Parameters.AddWithValue(Recipients);
        return (long)(await pending.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The bodies the relay will send, made by the same SQL: message <c>g</c> of the baseline is as long as the relay's.</summary>
    private static async Task<List<byte[]>> BodiesAsync(string connectionString, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(BodiesSql, connection);
        command.Parameters.AddWithValue(count);
        var bodies = new List<byte[]>(count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            bodies.Add(Encoding.UTF8.GetBytes(reader.GetString(0)));
        }

        return bodies;
    }

    /// <summary>
    /// The baseline: <paramref name="senders"/> loops, each POSTing its share of the bodies (body <c>i</c> to sender
    /// <c>i % senders</c>, as the relay splits messages between recipients) one after another, each with a fresh
    /// <c>webhook-id</c> and no signature; all the bodies again, with new ids, until <see cref="BaselineTime"/> has passed.
    /// </summary>
    private static async Task<Run> PostLoopAsync(string name, HttpClient client, WebhookReceiver receiver, List<byte[]> bodies, int senders,
        CancellationToken cancellationToken)
    {
        var ids = new HashSet<string>();
        long errors = 0, sent = 0;
        receiver.Take();
        var started = Stopwatch.GetTimestamp();
        do
        {
            var round = bodies.Select(_ => Guid.NewGuid().ToString()).ToArray();
            ids.UnionWith(round);
            await Task.WhenAll(Enumerable.Range(0, senders).Select(async sender =>
            {
                var url = new Uri($"{receiver.BaseUrl}/hooks/baseline-{sender}");
                for (var i = sender; i < bodies.Count; i += senders)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bodies[i]) };
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                    request.Headers.Add("webhook-id", round[i]);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }));
            sent += bodies.Count;
        }
        while (Stopwatch.GetElapsedTime(started) < BaselineTime);

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var received = Received.Of(receiver.Take(), ids);
        var measurement = received.Measurement(name, "HttpClient", senders, seconds, sent - errors, errors);
        Console.Error.WriteLine($"  {Describe(measurement)}  {received}");
        return new Run(measurement, errors == 0 && received.Missing == 0);
    }

    /// <summary>
    /// Writes <paramref name="count"/> messages to <paramref name="recipients"/> in one transaction and waits until the
    /// table says every one is delivered (or nothing has moved for <see cref="Stall"/>).
    /// </summary>
    private async Task<Run> RelayAsync(string name, BenchContext context, WebhookReceiver receiver, int count, string[] recipients,
        CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(context.Database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        receiver.Take();
        var postmaster = await PostmasterAsync(connection, cancellationToken);
        var (cpuBefore, databaseCpuBefore) = (context.Service.CpuTime(), PostgresCpu(postmaster));
        var sent = new HashSet<string>(count);
        long first = long.MaxValue, last = long.MinValue;
        await using (var insert = new NpgsqlCommand(InsertSql, connection) { CommandTimeout = 0 })
        {
            insert.Parameters.AddWithValue(recipients);
            insert.Parameters.AddWithValue($"bench-relay-run{++_run}");
            insert.Parameters.AddWithValue(count);
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetInt64(0);
                (first, last) = (Math.Min(first, id), Math.Max(last, id));
                sent.Add(reader.GetGuid(1).ToString());
            }
        }

        var committed = Stopwatch.GetTimestamp();
        var (delivered, dead, attempts) = (0L, 0L, 0L);
        var (progressed, asked, seen) = (committed, 0L, 0);
        while (true)
        {
            if (receiver.Count != seen)
            {
                (seen, progressed) = (receiver.Count, Stopwatch.GetTimestamp());
            }

            // The table is asked once a second, and every 10 ms once the receiver has had as many requests as there are
            // messages: counting 20,000 rows every few milliseconds would take the server's time from the relay.
            if (seen >= count || Stopwatch.GetElapsedTime(asked) >= TimeSpan.FromSeconds(1))
            {
                asked = Stopwatch.GetTimestamp();
                await using var poll = new NpgsqlCommand(ProgressSql, connection);
                poll.Parameters.AddWithValue(first);
                poll.Parameters.AddWithValue(last);
                await using var reader = await poll.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                var now = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                if (now != (delivered, dead, attempts))
                {
                    progressed = Stopwatch.GetTimestamp();
                }

                (delivered, dead, attempts) = now;
                if (delivered + dead == count)
                {
                    break;
                }
            }

            if (Stopwatch.GetElapsedTime(progressed) > Stall)
            {
                break;
            }

            await Task.Delay(10, cancellationToken);
        }

        var finished = Stopwatch.GetTimestamp();
        var (cpu, databaseCpu) = (context.Service.CpuTime() - cpuBefore, PostgresCpu(postmaster) - databaseCpuBefore);
        var arrivals = receiver.Take();
        var received = Received.Of(arrivals, sent);
        var start = arrivals.Count == 0 ? committed : arrivals.Min(a => a.Timestamp);
        var seconds = Stopwatch.GetElapsedTime(start, finished).TotalSeconds;
        var measurement = received.Measurement($"{name} ({received.Duplicates:N0} duplicates; msg/s; ms between a recipient's messages)",
                "OutboxRelay", recipients.Length, seconds, delivered, count - delivered)
            .WithCpu(delivered == 0 ? null : cpu.TotalMilliseconds / delivered);
        var complete = delivered == count && received.Missing == 0 && received.Unsigned == 0;
        Console.Error.WriteLine($"  {Describe(measurement)}  {received}");
        Console.Error.WriteLine($"    {delivered:N0} of {count:N0} delivered, {dead:N0} dead-lettered, {attempts - delivered - dead:N0} failed attempts; " +
                                $"first request {Stopwatch.GetElapsedTime(committed, start).TotalMilliseconds:N0} ms after the commit, " +
                                $"all delivered {Stopwatch.GetElapsedTime(committed, finished).TotalSeconds:N2} s after it; " +
                                $"CPU: service {cpu.TotalSeconds:N1} s, PostgreSQL {databaseCpu.TotalSeconds:N1} s " +
                                $"({databaseCpu.TotalMilliseconds / Math.Max(1, delivered):N3} ms per message): {(complete ? "complete" : "NOT COMPLETE")}");
        return new Run(measurement, complete);
    }

    /// <summary>The PostgreSQL server's main process: the parent of this connection's backend.</summary>
    private static async Task<int> PostmasterAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var backend = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var pid = (int)(await backend.ExecuteScalarAsync(cancellationToken))!;
        return int.Parse(Stat(pid)![1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// CPU time (user + system) of the PostgreSQL server so far: the postmaster with the children it has reaped, and its
    /// live children (backends, WAL writer, checkpointer…). From <c>/proc</c>, in clock ticks of 10 ms.
    /// </summary>
    private static TimeSpan PostgresCpu(int postmaster)
    {
        static long Field(string[] fields, int index) => long.Parse(fields[index], System.Globalization.CultureInfo.InvariantCulture);
        var ticks = 0L;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || Stat(pid) is not { } fields)
            {
                continue;
            }

            // After the command: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
            if (pid == postmaster)
            {
                ticks += Field(fields, 11) + Field(fields, 12) + Field(fields, 13) + Field(fields, 14);
            }
            else if (Field(fields, 1) == postmaster)
            {
                ticks += Field(fields, 11) + Field(fields, 12);
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    /// <summary>The fields of <c>/proc/{pid}/stat</c> after the command, or null when the process is gone.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string Describe(Measurement m) =>
        $"{m.Name,-44} {m.RequestsPerSecond,10:N0} msg/s  gap p50 {m.P50Ms,6:N2} ms  p99 {m.P99Ms,7:N2} ms  mean {m.MeanMs,6:N2} ms  errors {m.Errors}";

    private sealed record Run(Measurement Measurement, bool Complete);

    /// <summary>What the receiver saw of one run, against the ids that were sent.</summary>
    /// <param name="Gaps">Sorted: ms between consecutive requests on the same path (one sender, or one recipient's endpoint).</param>
    private sealed record Received(int Requests, int Distinct, int Duplicates, int Missing, int Others, int Unsigned, double MeanBytes, List<double> Gaps)
    {
        public static Received Of(IReadOnlyList<WebhookReceiver.Arrival> arrivals, HashSet<string> sent)
        {
            var seen = new Dictionary<string, int>();
            foreach (var arrival in arrivals)
            {
                seen[arrival.Id ?? ""] = seen.GetValueOrDefault(arrival.Id ?? "") + 1;
            }

            var gaps = new List<double>();
            foreach (var path in arrivals.GroupBy(a => a.Path))
            {
                var times = path.Select(a => a.Timestamp).Order().ToArray();
                for (var i = 1; i < times.Length; i++)
                {
                    gaps.Add(Stopwatch.GetElapsedTime(times[i - 1], times[i]).TotalMilliseconds);
                }
            }

            gaps.Sort();
            return new Received(arrivals.Count, seen.Count, arrivals.Count - seen.Count, sent.Count(id => !seen.ContainsKey(id)),
                seen.Keys.Count(id => !sent.Contains(id)), arrivals.Count(a => !a.Signed), arrivals.Count == 0 ? 0 : arrivals.Average(a => a.Bytes), gaps);
        }

        public Measurement Measurement(string name, string tool, int concurrency, double seconds, long messages, long errors) =>
            new(name, tool, concurrency, seconds, messages, errors, messages / seconds, Percentile(0.50), Percentile(0.99),
                Gaps.Count == 0 ? 0 : Gaps.Average());

        private double Percentile(double p) => Gaps.Count == 0 ? 0 : Gaps[Math.Min(Gaps.Count - 1, (int)Math.Ceiling(p * Gaps.Count) - 1)];

        public override string ToString() =>
            $"received {Requests:N0} requests, {Distinct:N0} distinct ids, {Duplicates:N0} duplicates, {Missing:N0} missing, {Others:N0} unknown, " +
            $"{Unsigned:N0} unsigned, {MeanBytes:N0} bytes on average";
    }
}
