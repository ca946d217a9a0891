using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// A partner reads its whole feed: <c>GET /partner/feed?limit=1000</c>, following <c>cursor</c> until an empty page,
/// one client, over <see cref="BenchmarkOptions.FeedEntries"/> disclosures to <c>card-provider</c>; against a
/// <c>COPY (SELECT …) TO STDOUT</c> of the same rows, columns and order (the database's limit for streaming them
/// out). Entries per second, the median of five interleaved runs of each; every disclosure must arrive exactly once
/// in every walk. Uses only the HTTP API and the <c>privacy.disclosures</c> table, not the endpoint's SQL.
/// </summary>
/// <remarks>
/// The walk is an HttpClient loop, not wrk: it is one sequential chain of requests, each needing the cursor of the
/// one before, that ends at the feed's end (wrk runs for a fixed duration).
/// </remarks>
internal sealed class PartnerFeedPagingScenario : IScenario
{
    private const string Recipient = "card-provider";
    private const int PageSize = 1000;
    private const int Runs = 5;

    /// <summary>The API's largest batch (<c>RecordDisclosuresRequestValidator.MaxBatch</c>): one transaction each.</summary>
    private const int LoadBatch = 1000;

    /// <summary>
    /// Disclosures <c>$1..$2</c>: purpose and categories from the seeded registry link card-provider ×
    /// customer_obligations (<c>RegistrySeed.Disclosures</c>), 300,000 customers, most with an order reference.
    /// </summary>
    private const string LoadSql = """
        INSERT INTO privacy.disclosures (recipient_key, purpose_key, legal_ground, customer_number, categories, disclosed_at,
                                         sender_reference, recorded_by, recorded_at)
        SELECT 'card-provider', 'customer_obligations', 'Contract', (1000000 + g % 300000)::text,
               CASE g % 4 WHEN 0 THEN ARRAY['user.name', 'user.payment']
                          WHEN 1 THEN ARRAY['user.name', 'user.contact.email', 'user.financial.credit_card']
                          WHEN 2 THEN ARRAY['user.name', 'user.contact.phone_number', 'user.contact.email', 'user.payment', 'user.unique_id']
                          ELSE ARRAY['user.unique_id'] END,
               now() - interval '30 days' + g * interval '1 second',
               CASE WHEN g % 5 <> 0 THEN 'ORDER-' || (80000000 + g) END, 'bench-loader', now()
        FROM generate_series($1::int, $2::int) g
        """;

    /// <summary>What a feed entry carries, in the feed's order.</summary>
    private const string CopySql = """
        COPY (SELECT id, customer_number, categories, purpose_key, legal_ground, disclosed_at, sender_reference
              FROM privacy.disclosures WHERE recipient_key = 'card-provider' ORDER BY transaction_id, id) TO STDOUT
        """;

    public string Name => "partner-feed-paging";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var connectionString = context.Database.ConnectionString;
        var stored = await LoadAsync(connectionString, context.Options.FeedEntries, cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(context.Service.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-Api-Key", context.CardPartnerKey);

        // Warm-up: one COPY reads the rows into shared buffers (its ids are what every walk must return); 3 seconds of
        // paging from the start settle JIT tiers, prepared statements and pooled connections, like the wrk runs.
        var (_, expected) = await CopyAsync("(warm-up)", connectionString, cancellationToken);
        await WalkAsync("(warm-up)", http, TimeSpan.FromSeconds(3), cancellationToken);

        // A single run of either is a second or two on a shared machine: interleave five of each, report the medians.
        var copies = new List<Measurement>();
        var feeds = new List<Measurement>();
        var complete = expected.Count == stored;
        for (var run = 1; run <= Runs; run++)
        {
            copies.Add((await CopyAsync($"COPY run {run}/{Runs}", connectionString, cancellationToken)).Measurement);
            var cpuBefore = context.Service.CpuTime();
            var walk = await WalkAsync($"walk run {run}/{Runs}", http, null, cancellationToken);
            var cpu = context.Service.CpuTime() - cpuBefore;
            feeds.Add(walk.Measurement.WithCpu(walk.Measurement.Requests == 0 ? null : cpu.TotalMilliseconds / walk.Measurement.Requests));

            // Every disclosure exactly once: the ids the table holds for the recipient, none repeated, no failed page.
            var whole = walk.Disclosures.SetEquals(expected) && walk.Repeated == 0 && walk.Measurement.Errors == 0;
            complete &= whole;
            Console.Error.WriteLine($"    {walk.Measurement.Requests:N0} entries in {walk.Pages:N0} pages: {walk.Disclosures.Count:N0} distinct " +
                                    $"disclosures of {stored:N0} stored, {walk.Repeated:N0} repeated, {walk.Others:N0} entries of other types, " +
                                    $"{walk.Measurement.Errors} failed pages: {(whole ? "complete" : "NOT COMPLETE")}");
        }

        var copy = Median(copies) with
        {
            Name = $"COPY (SELECT … ORDER BY transaction_id, id) TO STDOUT, {stored:N0} rows (rows/s; ms of the COPY)",
        };
        var feed = Median(feeds) with { Name = $"GET /partner/feed?limit={PageSize}, {stored:N0} entries (entries/s; ms per page)" };
        return
        [
            new ResultRow(Name, feed, copy, feed.RequestsPerSecond / copy.RequestsPerSecond,
                $"every entry once in each of {Runs} walks, errors = 0", complete),
        ];
    }

    private static Measurement Median(List<Measurement> runs) => runs.OrderBy(m => m.RequestsPerSecond).ElementAt(runs.Count / 2);

    /// <summary>Adds <paramref name="count"/> disclosures to card-provider, in transactions of 1,000; returns how many it has now.</summary>
    private static async Task<long> LoadAsync(string connectionString, int count, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // The loader's commits need not wait for the disk; the rows still go through the table's triggers and foreign keys.
        await using (var asynchronous = new NpgsqlCommand("SET synchronous_commit = off", connection))
        {
            await asynchronous.ExecuteNonQueryAsync(cancellationToken);
        }

        Console.Error.WriteLine($"Loading {count:N0} disclosures to {Recipient}…");
        for (var start = 1; start <= count; start += LoadBatch)
        {
            var end = Math.Min(count, start + LoadBatch - 1);
            await using var command = new NpgsqlCommand(LoadSql, connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue(start);
            command.Parameters.AddWithValue(end);
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (end % 50_000 == 0 || end == count)
            {
                Console.Error.Write($"\r  loaded disclosures up to {end:N0}   ");
            }
        }

        Console.Error.WriteLine();
        await using (var analyze = new NpgsqlCommand("VACUUM ANALYZE privacy.disclosures; CHECKPOINT;", connection) { CommandTimeout = 0 })
        {
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var stored = new NpgsqlCommand("SELECT count(*) FROM privacy.disclosures WHERE recipient_key = $1", connection);
        stored.Parameters.AddWithValue(Recipient);
        return (long)(await stored.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// One COPY of the feed's rows through Npgsql, read in blocks (line by line, Npgsql's reader is several times slower
    /// than psql), every line counted and its id kept (as the walk keeps them).
    /// </summary>
    private static async Task<(Measurement Measurement, HashSet<long> Ids)> CopyAsync(string name, string connectionString,
        CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var ids = new HashSet<long>();
        var buffer = new char[1 << 16];
        var (rows, id, inId) = (0L, 0L, true);
        var clock = Stopwatch.StartNew();
        using (var reader = await connection.BeginTextExportAsync(CopySql, cancellationToken))
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                foreach (var c in buffer.AsSpan(0, read))
                {
                    if (c == '\n')
                    {
                        rows++;
                        ids.Add(id);
                        (id, inId) = (0, true);
                    }
                    else if (inId)
                    {
                        if (c == '\t')
                        {
                            inId = false;
                        }
                        else
                        {
                            id = id * 10 + (c - '0');
                        }
                    }
                }
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var ms = seconds * 1000;
        // One statement: its latency columns are the whole COPY's time.
        var measurement = new Measurement(name, "Npgsql COPY", 1, seconds, rows, 0, rows / seconds, ms, ms, ms);
        Console.Error.WriteLine($"  {name,-44} {measurement.RequestsPerSecond,10:N0} rows/s  {ms:N0} ms");
        return (measurement, ids);
    }

    /// <summary>
    /// Pages the feed from the start until an empty page (or until <paramref name="stopAfter"/>), one request at a
    /// time. Requests and rate count entries; the latency columns are per page (request sent to body read).
    /// </summary>
    private static async Task<Walk> WalkAsync(string name, HttpClient http, TimeSpan? stopAfter, CancellationToken cancellationToken)
    {
        var disclosures = new HashSet<long>();
        var others = new HashSet<(string?, long)>();
        var latencies = new List<double>();
        long entries = 0, repeated = 0, errors = 0;
        string? cursor = null;
        var clock = Stopwatch.StartNew();
        while (stopAfter is null || clock.Elapsed < stopAfter)
        {
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(
                cursor is null ? $"/partner/feed?limit={PageSize}" : $"/partner/feed?limit={PageSize}&cursor={Uri.EscapeDataString(cursor)}",
                cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
            {
                errors++;
                Console.Error.WriteLine($"  page {latencies.Count}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
                break;
            }

            using var page = JsonDocument.Parse(body);
            var items = page.RootElement.GetProperty("items");
            if (items.GetArrayLength() == 0)
            {
                break;
            }

            foreach (var item in items.EnumerateArray())
            {
                entries++;
                var id = item.GetProperty("id").GetInt64();
                var type = item.GetProperty("type").GetString();
                if (!(type == "disclosure" ? disclosures.Add(id) : others.Add((type, id))))
                {
                    repeated++;
                }
            }

            cursor = page.RootElement.GetProperty("cursor").GetString();
        }

        var seconds = clock.Elapsed.TotalSeconds;
        latencies.Sort();
        var measurement = new Measurement(name, "HttpClient", 1, seconds, entries, errors, entries / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Count == 0 ? 0 : latencies.Average());
        Console.Error.WriteLine($"  {name,-44} {measurement.RequestsPerSecond,10:N0} entries/s  page p50 {measurement.P50Ms,6:N2} ms  " +
                                $"p99 {measurement.P99Ms,7:N2} ms  errors {errors}  ({latencies.Sum() / 1000:N1} of {seconds:N1} s " +
                                "waiting for pages)");
        return new Walk(measurement, latencies.Count, disclosures, others.Count, repeated);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private sealed record Walk(Measurement Measurement, int Pages, HashSet<long> Disclosures, int Others, long Repeated);
}
