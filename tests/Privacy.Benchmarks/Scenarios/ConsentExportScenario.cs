using System.Diagnostics;
using Npgsql;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// An auditor downloads the whole consent log: <c>GET /consent/events/export?format=csv</c> (ops key), one client, over the data
/// set's consent events (1–3 per subject, so it grows with <c>--scale</c>), one line per choice; against a
/// <c>COPY (SELECT …) TO STDOUT (FORMAT csv)</c> of the same lines, columns and order (the database's limit for streaming them
/// out). Lines per second, the median of five interleaved runs of each; every export must have exactly as many lines as the
/// COPY. Uses only the HTTP API and the consent tables, not the endpoint's SQL.
/// </summary>
internal sealed class ConsentExportScenario : IScenario
{
    private const int Runs = 5;

    /// <summary>What an export line carries, in the export's order (without its retention rule: the clear values as stored).</summary>
    private const string CopySql = """
        COPY (SELECT e.id, e.occurred_at, e.subject_type, e.subject_id, e.kind, c.purpose_key, c.granted, c.requested, e.policy_version,
                     e.channel, e.notice_id, e.notice_hash, e.language, e.gpc, e.gpc_source, e.recorded_by, host(p.ip_address), p.user_agent,
                     p.ip_address_hash, p.user_agent_hash, p.key_id, p.erased_at
              FROM privacy.consent_events e
              LEFT JOIN privacy.consent_choices c ON c.event_id = e.id
              LEFT JOIN privacy.consent_proofs p ON p.event_id = e.id
              ORDER BY e.occurred_at, e.id, c.purpose_key) TO STDOUT (FORMAT csv)
        """;

    public string Name => "consent-export";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var connectionString = context.Database.ConnectionString;
        using var http = new HttpClient { BaseAddress = new Uri(context.Service.BaseUrl), Timeout = TimeSpan.FromMinutes(30) };
        http.DefaultRequestHeaders.Add("X-Api-Key", context.OpsKey);

        // Warm-up: one of each reads the rows into shared buffers and settles JIT tiers and prepared statements.
        var expected = (await CopyAsync("(warm-up)", connectionString, cancellationToken)).Requests;
        await ExportAsync("(warm-up)", http, cancellationToken);

        var copies = new List<Measurement>();
        var exports = new List<Measurement>();
        var complete = expected > 0;
        for (var run = 1; run <= Runs; run++)
        {
            copies.Add(await CopyAsync($"COPY run {run}/{Runs}", connectionString, cancellationToken));
            var cpuBefore = context.Service.CpuTime();
            var export = await ExportAsync($"export run {run}/{Runs}", http, cancellationToken);
            var cpu = context.Service.CpuTime() - cpuBefore;
            exports.Add(export.WithCpu(export.Requests == 0 ? null : cpu.TotalMilliseconds / export.Requests));
            var whole = export.Requests == expected && export.Errors == 0;
            complete &= whole;
            Console.Error.WriteLine($"    {export.Requests:N0} lines of {expected:N0}: {(whole ? "complete" : "NOT COMPLETE")}");
        }

        var copy = Median(copies) with { Name = $"COPY (SELECT … ORDER BY occurred_at, id) TO STDOUT (FORMAT csv), {expected:N0} rows (rows/s; ms of the COPY)" };
        var measured = Median(exports) with { Name = $"GET /consent/events/export?format=csv, {expected:N0} lines (lines/s; ms of the export; CPU ms/line)" };
        var ratio = measured.RequestsPerSecond / copy.RequestsPerSecond;
        return
        [
            new ResultRow(Name, measured, copy, ratio, $"≥ 0.5× COPY, every line in each of {Runs} exports", complete && ratio >= 0.5),
        ];
    }

    private static Measurement Median(List<Measurement> runs) => runs.OrderBy(m => m.RequestsPerSecond).ElementAt(runs.Count / 2);

    /// <summary>One COPY through Npgsql, read in blocks, its lines counted (the data set's values hold no line breaks).</summary>
    private static async Task<Measurement> CopyAsync(string name, string connectionString, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        var buffer = new char[1 << 16];
        long rows = 0;
        var clock = Stopwatch.StartNew();
        using (var reader = await connection.BeginTextExportAsync(CopySql, cancellationToken))
        {
            int read;
            while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
            {
                rows += buffer.AsSpan(0, read).Count('\n');
            }
        }

        return Report(new Measurement(name, "Npgsql COPY", 1, clock.Elapsed.TotalSeconds, rows, 0, rows / clock.Elapsed.TotalSeconds,
            clock.Elapsed.TotalMilliseconds, clock.Elapsed.TotalMilliseconds, clock.Elapsed.TotalMilliseconds));
    }

    /// <summary>One export, its body read in blocks as it streams, its lines counted (less the header).</summary>
    private static async Task<Measurement> ExportAsync(string name, HttpClient http, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var response = await http.GetAsync("/consent/events/export?format=csv", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        long lines = 0;
        if (response.IsSuccessStatusCode)
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }
        else
        {
            Console.Error.WriteLine($"  {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var rows = Math.Max(0, lines - 1);
        return Report(new Measurement(name, "HttpClient", 1, seconds, rows, response.IsSuccessStatusCode ? 0 : 1, rows / seconds,
            seconds * 1000, seconds * 1000, seconds * 1000));
    }

    private static Measurement Report(Measurement m)
    {
        Console.Error.WriteLine($"  {m.Name,-44} {m.RequestsPerSecond,10:N0} rows/s  {m.P50Ms:N0} ms");
        return m;
    }
}
