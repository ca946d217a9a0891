using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Npgsql;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// An erasure request for one customer, submitted by the website (<c>POST /requests</c> with the frontend key), answered
/// already fanned out: in progress, a task per internal system, the service's own consent-data erasure (done at once) and a
/// task per recipient the customer's disclosures went to, each told through a follow-up and an outbox message. Measured
/// as <see cref="BenchmarkOptions.FanOutRequests"/> sequential requests, each for a fresh customer with consent events
/// and about ten disclosures to both recipients, in a small database (<see cref="SmallCustomers"/> customers) and then in
/// a large one (<see cref="BenchmarkOptions.FanOutCustomers"/> customers, <see cref="BenchmarkOptions.FanOutDisclosures"/>
/// disclosures); the small run is the large one's baseline: the latency must not grow with the database.
/// </summary>
/// <remarks>
/// <para>
/// The scenario has a database of its own in the harness's cluster (<see cref="DatabaseName"/>), with its own instance of
/// the service (relay off): the partner feed scenario's disclosures to <c>card-provider</c> (and the customers they name)
/// stay out of the small database, and ten million disclosures with their follow-ups stay out of the feed and the relay's
/// outbox. The database is left in the cluster after the run (<c>artifacts/bench/postgres</c>, until the next run
/// recreates it), for looking at the plans.
/// </para>
/// <para>
/// Customer <c>i</c> (1 ≤ i ≤ customers) has the customer number <c>1000000 + i</c>: the consent data set
/// (<see cref="DataSet"/>, loaded with as many subjects as there are customers) makes subject <c>i</c> that customer when
/// <c>i % 10 &lt; 3</c>, so those customers have consent events, choices and proofs (and some linked visitors) as well as
/// disclosures; the measured customers are drawn from them at random. The requests go one after another (an HttpClient
/// loop, not wrk: every request needs a customer no request has erased before).
/// </para>
/// </remarks>
internal sealed partial class RequestFanOutScenario : IScenario
{
    public const int SmallCustomers = 10_000;
    public const int DefaultCustomers = 1_000_000;
    public const long DefaultDisclosures = 10_000_000;

    /// <summary>
    /// The small database has 3,000 customers with consent data, and the measured ones and the warm-up's are distinct (with
    /// a margin: they are drawn at random until enough are found).
    /// </summary>
    public const int MaxRequests = 2_800;

    /// <summary>
    /// Before each measured run, erasures for these many other customers, again and again for <see cref="WarmUpTime"/> (a
    /// repeated erasure runs the same code and statements, with less to change): JIT tiers, pooled connections and
    /// prepared statements settle without using up the small database's customers.
    /// </summary>
    private const int WarmUpCustomers = 50;

    /// <summary>
    /// With 10 s, the freshly started instance still spent 6–10 ms of CPU per request at the end of the small database's
    /// warm-up, then 5 ms in the measured run, against 3 ms at the large size (background JIT tiering): 30 s settle it.
    /// </summary>
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(30);

    private const string DatabaseName = "privacy_fanout";
    private const int LoadChunk = 100_000;
    private static readonly string[] Recipients = ["card-provider", "invoicing-partner"];

    /// <summary>
    /// Disclosures <c>$3..$4</c> (0-based) of customers <c>$1 .. $1 + $2 - 1</c>: row <c>g</c> is about customer
    /// <c>$1 + g % $2</c>, so each customer's rows are spread over the whole load, in rounds alternating between
    /// card-provider (customer_obligations) and invoicing-partner (billing), with categories of those registry links
    /// (<c>RegistrySeed.Disclosures</c>), over the last year, each with an order or invoice reference.
    /// </summary>
    private const string LoadSql = """
        INSERT INTO privacy.disclosures (recipient_key, purpose_key, legal_ground, customer_number, categories, disclosed_at,
                                         sender_reference, recorded_by, recorded_at)
        SELECT CASE WHEN card THEN 'card-provider' ELSE 'invoicing-partner' END,
               CASE WHEN card THEN 'customer_obligations' ELSE 'billing' END, 'Contract',
               (1000000 + $1 + g % $2)::text,
               CASE WHEN card THEN CASE g % 3 WHEN 0 THEN ARRAY['user.name', 'user.payment']
                                              WHEN 1 THEN ARRAY['user.name', 'user.contact.email', 'user.financial.credit_card']
                                              ELSE ARRAY['user.name', 'user.contact.phone_number', 'user.unique_id'] END
                    ELSE CASE g % 2 WHEN 0 THEN ARRAY['user.name', 'user.contact.email', 'user.payment']
                                    ELSE ARRAY['user.name', 'user.financial.bank_account', 'user.unique_id'] END END,
               now() - (g % 31536000) * interval '1 second',
               CASE WHEN card THEN 'ORDER-' ELSE 'INVOICE-' END || (90000000 + g), 'bench-fan-out', now()
        FROM (SELECT g, (g / $2) % 2 = 0 AS card FROM generate_series($3::bigint, $4::bigint) g) s
        """;

    public string Name => "request-fan-out";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var options = context.Options;
        var perCustomer = (int)(options.FanOutDisclosures / options.FanOutCustomers);
        var connectionString = await context.Database.RecreateAsync(DatabaseName, cancellationToken);
        Console.Error.WriteLine($"  starting an instance of the service on {DatabaseName} (relay off)…");
        await using var service = await context.StartServiceAsync(connectionString,
            new Dictionary<string, string> { ["Notifier__RelayEnabled"] = "false" }, cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(service.BaseUrl), Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Add("X-Api-Key", context.FrontendKey);
        var expected = await ExpectedTasksAsync(connectionString, cancellationToken);
        Console.Error.WriteLine($"  every answer must be in_progress with tasks for {string.Join(", ", expected.Select(t => $"{t.Kind} {t.Target}"))}");

        var random = new Random(20261125);
        var used = new HashSet<int>();
        var small = await PhaseAsync(context, service, http, connectionString, 1, SmallCustomers, perCustomer, expected, random, used, cancellationToken);
        var large = await PhaseAsync(context, service, http, connectionString, SmallCustomers + 1, options.FanOutCustomers, perCustomer, expected,
            random, used, cancellationToken);

        var ratio = large.Measurement.P50Ms / small.Measurement.P50Ms;
        Console.Error.WriteLine($"  large ÷ small: p50 {ratio:N2}×, p99 {large.Measurement.P99Ms / small.Measurement.P99Ms:N2}×, " +
                                $"requests/s {large.Measurement.RequestsPerSecond / small.Measurement.RequestsPerSecond:N2}×");
        const string Checked = "every answer 201 in_progress with a task per system, privacy-service (done) and both recipients " +
                               "(a follow-up and an outbox message each); the customers' consent events pseudonymised";
        return
        [
            new ResultRow(Name, small.Measurement, null, null, Checked, small.Complete),
            new ResultRow(Name, large.Measurement, small.Measurement, ratio,
                $"p50 at {options.FanOutCustomers:N0} customers ≤ 1.3× p50 at {SmallCustomers:N0}; as above", ratio <= 1.3 && large.Complete && small.Complete),
        ];
    }

    /// <summary>The tasks an erasure must answer with: every active internal system, the service itself, and both recipients.</summary>
    private static async Task<HashSet<(string Kind, string Target)>> ExpectedTasksAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT key FROM privacy.internal_systems s WHERE retired_at IS NULL AND EXISTS (SELECT 1 FROM privacy.internal_system_categories c WHERE c.system_key = s.key)",
            connection);
        var expected = new HashSet<(string, string)> { ("system", "privacy-service") };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            expected.Add(("system", reader.GetString(0)));
        }

        expected.UnionWith(Recipients.Select(r => ("recipient", r)));
        return expected;
    }

    /// <summary>Grows the database to customers <c>1..<paramref name="to"/></c>, then measures the requests at that size.</summary>
    private static async Task<Phase> PhaseAsync(BenchContext context, ServiceUnderTest service, HttpClient http, string connectionString, int from, int to,
        int perCustomer, HashSet<(string, string)> expected, Random random, HashSet<int> used, CancellationToken cancellationToken)
    {
        var disclosures = (long)to * perCustomer;
        Console.Error.WriteLine($"  growing {DatabaseName} to {to:N0} customers and {disclosures:N0} disclosures…");
        var clock = Stopwatch.StartNew();
        await DataSet.LoadAsync(connectionString, from, to, cancellationToken);
        var consent = clock.Elapsed;
        await LoadDisclosuresAsync(connectionString, from, to - from + 1, perCustomer, cancellationToken);
        Console.Error.WriteLine($"  loaded in {clock.Elapsed.TotalSeconds:N0} s (consent data set {consent.TotalSeconds:N0} s, disclosures and " +
                                $"VACUUM ANALYZE {(clock.Elapsed - consent).TotalSeconds:N0} s); {await SizeAsync(connectionString, cancellationToken)}");

        var customers = Customers(to, WarmUpCustomers + context.Options.FanOutRequests, random, used);
        var size = $"{to:N0} customers, {disclosures:N0} disclosures";
        var warmUp = Stopwatch.StartNew();
        var (round, warm) = (0, true);
        while (warmUp.Elapsed < WarmUpTime)
        {
            var pass = await SubmitAsync($"(warm-up round {++round} at {to:N0} customers)", http, service, connectionString,
                customers[..WarmUpCustomers], expected, round == 1, cancellationToken);
            warm &= pass.Complete;
            if (round == 1 || warmUp.Elapsed >= WarmUpTime)
            {
                Console.Error.WriteLine($"  {pass.Summary}");
            }
        }

        var run = await SubmitAsync($"POST /requests erasure at {size} (1 at a time; requests/s; ms per request)", http, service, connectionString,
            customers[WarmUpCustomers..], expected, true, cancellationToken);
        Console.Error.WriteLine($"  {run.Summary}");
        var stored = await CheckStoredAsync(connectionString, customers, cancellationToken);
        return new Phase(run.Measurement, warm && run.Complete && stored);
    }

    /// <summary>Adds <paramref name="perCustomer"/> disclosures for each of <paramref name="count"/> customers from <paramref name="first"/>.</summary>
    private static async Task LoadDisclosuresAsync(string connectionString, int first, int count, int perCustomer, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        // Bulk load: the commits need not wait for the disk, and the foreign keys to the seeded recipients and purposes
        // are not checked row by row (the table has no other insert trigger).
        await using (var setup = new NpgsqlCommand("SET synchronous_commit = off; SET session_replication_role = replica", connection))
        {
            await setup.ExecuteNonQueryAsync(cancellationToken);
        }

        var total = (long)count * perCustomer;
        var clock = Stopwatch.StartNew();
        for (var start = 0L; start < total; start += LoadChunk)
        {
            var end = Math.Min(total, start + LoadChunk) - 1;
            await using var command = new NpgsqlCommand(LoadSql, connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue(first);
            command.Parameters.AddWithValue(count);
            command.Parameters.AddWithValue(start);
            command.Parameters.AddWithValue(end);
            await command.ExecuteNonQueryAsync(cancellationToken);
            Console.Error.Write($"\r  loaded {end + 1:N0} of {total:N0} disclosures ({(end + 1) / clock.Elapsed.TotalSeconds:N0}/s)   ");
        }

        Console.Error.WriteLine();
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE privacy.disclosures; CHECKPOINT;", connection) { CommandTimeout = 0 };
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<string> SizeAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM privacy.disclosures), (SELECT count(*) FROM privacy.consent_events),
                   pg_size_pretty(pg_total_relation_size('privacy.disclosures')), pg_size_pretty(pg_database_size(current_database()))
            """, connection) { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return $"{reader.GetInt64(0):N0} disclosures ({reader.GetString(2)} with indexes), {reader.GetInt64(1):N0} consent events, database {reader.GetString(3)}";
    }

    /// <summary>
    /// <paramref name="count"/> customers of <c>1..<paramref name="to"/></c> that have consent data (<c>i % 10 &lt; 3</c>), at
    /// random, none drawn before.
    /// </summary>
    private static int[] Customers(int to, int count, Random random, HashSet<int> used)
    {
        var customers = new List<int>(count);
        for (var attempt = 0; customers.Count < count; attempt++)
        {
            if (attempt > 1000 * count)
            {
                throw new InvalidOperationException($"Fewer than {count:N0} customers with consent data in 1..{to:N0} are left to erase.");
            }

            var pick = random.Next(1, to + 1);
            pick = pick - (pick % 10) + random.Next(0, 3);
            if (pick >= 1 && pick <= to && used.Add(pick))
            {
                customers.Add(pick);
            }
        }

        return [.. customers];
    }

    /// <summary>
    /// Submits an erasure for each customer, one at a time, and checks each answer: 201, in_progress, exactly the
    /// <paramref name="expected"/> tasks, a follow-up on each recipient's task, the service's own task done (with proofs
    /// erased, when the customers are <paramref name="fresh"/>: a repeated erasure finds nothing left to erase). Also notes the
    /// WAL the cluster wrote meanwhile (full-page images of the pages each erasure is the first to change since the last
    /// checkpoint make most of it in a large database).
    /// </summary>
    private static async Task<Run> SubmitAsync(string name, HttpClient http, ServiceUnderTest service, string connectionString, int[] customers,
        HashSet<(string, string)> expected, bool fresh, CancellationToken cancellationToken)
    {
        var latencies = new List<double>(customers.Length);
        long errors = 0, wrong = 0;
        var walBefore = await WalPositionAsync(connectionString, cancellationToken);
        var cpuBefore = service.CpuTime();
        var clock = Stopwatch.StartNew();
        foreach (var customer in customers)
        {
            var number = (1_000_000 + customer).ToString(CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/requests")
            {
                Content = JsonContent.Create(new { type = "erasure", subject = new { customerNumber = number } }),
            };
            request.Headers.Add("X-Signed-In-Customer", number); // the website acts for the signed-in customer
            var sent = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                if (errors++ < 3)
                {
                    Console.Error.WriteLine($"    customer {1_000_000 + customer}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(answer)}");
                }

                continue;
            }

            if (Problem(answer, expected, fresh) is { } problem && wrong++ < 3)
            {
                Console.Error.WriteLine($"    customer {1_000_000 + customer}: {problem}");
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = service.CpuTime() - cpuBefore;
        var wal = await WalPositionAsync(connectionString, cancellationToken) - walBefore;
        latencies.Sort();
        var measurement = new Measurement(name, "HttpClient", 1, seconds, customers.Length, errors + wrong, customers.Length / seconds,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Average(), cpu.TotalMilliseconds / customers.Length);
        return new Run(measurement, errors == 0 && wrong == 0,
            $"{measurement.Name,-44} {measurement.RequestsPerSecond,8:N1}/s  p50 {measurement.P50Ms,6:N2} ms  p99 {measurement.P99Ms,7:N2} ms  " +
            $"max {latencies[^1],7:N2} ms  errors {errors}  not fanned out as expected {wrong}  CPU {measurement.CpuMsPerRequest:N2} ms/request  " +
            $"WAL {wal / 1024.0 / customers.Length:N1} KiB/request");
    }

    /// <summary>The cluster's current WAL position in bytes.</summary>
    private static async Task<long> WalPositionAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>What is wrong with an answer, or null.</summary>
    private static string? Problem(byte[] answer, HashSet<(string, string)> expected, bool fresh)
    {
        using var document = JsonDocument.Parse(answer);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "in_progress")
        {
            return $"status {root.GetProperty("status").GetString()}";
        }

        var tasks = root.GetProperty("tasks").EnumerateArray().ToList();
        var targets = tasks.Select(t => (t.GetProperty("targetKind").GetString()!, t.GetProperty("target").GetString()!)).ToList();
        if (targets.Count != expected.Count || !expected.SetEquals(targets))
        {
            return $"tasks {string.Join(", ", targets)}";
        }

        foreach (var task in tasks)
        {
            var target = task.GetProperty("target").GetString();
            if (task.GetProperty("targetKind").GetString() == "recipient" && task.GetProperty("followUpId").ValueKind != JsonValueKind.Number)
            {
                return $"no follow-up for {target}";
            }

            if (target == "privacy-service" && (task.GetProperty("status").GetString() != "done"
                                                || ProofsErased().Match(task.GetProperty("outcome").GetString() ?? "") is not { Success: true } m
                                                || (fresh && m.Groups[1].Value == "0")))
            {
                return $"the service's own task: {task.GetProperty("status").GetString()}, {task.GetProperty("outcome").GetString()}";
            }
        }

        return null;
    }

    /// <summary>
    /// What the database holds for the customers afterwards: a follow-up to each recipient with its outbox message, and no
    /// consent event under the customer number any more.
    /// </summary>
    private static async Task<bool> CheckStoredAsync(string connectionString, int[] customers, CancellationToken cancellationToken)
    {
        var numbers = customers.Select(c => (1_000_000 + c).ToString(CultureInfo.InvariantCulture)).ToArray();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT count(DISTINCT (f.customer_number, f.recipient_key)) FROM privacy.follow_ups f
                    JOIN privacy.outbox_messages m ON m.message_id = f.message_id AND m.recipient_key = f.recipient_key
                    WHERE f.customer_number = ANY($1) AND f.reference LIKE 'rights-request:%'),
                   (SELECT count(*) FROM privacy.consent_events WHERE subject_type = 'Customer' AND subject_id = ANY($1))
            """, connection);
        command.Parameters.AddWithValue(numbers);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (told, left) = (reader.GetInt64(0), reader.GetInt64(1));
        var complete = told == (long)numbers.Length * Recipients.Length && left == 0;
        Console.Error.WriteLine($"    stored: {told:N0} follow-ups with an outbox message for {numbers.Length:N0} customers × {Recipients.Length} recipients; " +
                                $"{left:N0} consent events still under their customer numbers: {(complete ? "complete" : "NOT COMPLETE")}");
        return complete;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    [GeneratedRegex(@"proofs' IP addresses and user agents erased: (\d+)")]
    private static partial Regex ProofsErased();

    private sealed record Run(Measurement Measurement, bool Complete, string Summary);

    private sealed record Phase(Measurement Measurement, bool Complete);
}
