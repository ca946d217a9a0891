using Privacy.Api.Consent;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// GET the consent state of random subjects (the page-load hot path), against pgbench running the very
/// SQL the endpoint runs (the database's limit), and against the service's cheapest authenticated
/// endpoint and a raw Kestrel handler (the HTTP stack's limit).
/// </summary>
internal sealed class ConsentStateReadScenario : IScenario
{
    public string Name => "consent-state-read";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var duration = context.Options.Duration;
        var connections = context.Options.Connections;
        var raw = await context.LoadRawAsync("raw Kestrel app.Run", duration, connections, cancellationToken);
        var trivial = await context.LoadServiceAsync("GET /whoami (auth, no database)", "get.lua", duration, connections,
            new Dictionary<string, string> { ["BENCH_PATH"] = "/whoami", ["BENCH_KEY"] = context.FrontendKey }, cancellationToken);
        var pgbench = await context.PgbenchAsync("pgbench: the state SQL, prepared", WriteStateScript(), duration, connections, cancellationToken);
        var cold = await context.LoadServiceAsync("GET state, cache filling (first reads)", "state.lua", duration, connections,
            cancellationToken: cancellationToken);

        // A long-running replica has seen its subjects: read every one once, then measure again.
        var fill = TimeSpan.FromSeconds(Math.Ceiling(context.Subjects / Math.Max(1000, cold.RequestsPerSecond)) + 2);
        await context.LoadServiceAsync("(every subject read once)", "every-subject.lua", fill, connections, cancellationToken: cancellationToken);
        var state = await context.LoadServiceAsync("GET /consent/subjects/{type}/{id}", "state.lua", duration, connections,
            cancellationToken: cancellationToken);

        return
        [
            new ResultRow(Name, state, pgbench, state.RequestsPerSecond / pgbench.RequestsPerSecond, "≥ 0.5× pgbench, p99 < 5 ms",
                state.RequestsPerSecond >= 0.5 * pgbench.RequestsPerSecond && state.P99Ms < 5 && state.Errors == 0),
            new ResultRow(Name, cold, pgbench, cold.RequestsPerSecond / pgbench.RequestsPerSecond, "(cold cache: first reads of random subjects)", null),
            new ResultRow(Name, state, trivial, state.RequestsPerSecond / trivial.RequestsPerSecond, "(share of the HTTP floor)", null),
            new ResultRow("trivial-endpoint", trivial, raw, trivial.RequestsPerSecond / raw.RequestsPerSecond, "≥ 0.6× raw app.Run",
                trivial.RequestsPerSecond >= 0.6 * raw.RequestsPerSecond && trivial.Errors == 0),
        ];
    }

    /// <summary>The endpoint's statement with its parameters computed from pgbench's random subject number.</summary>
    private static string WriteStateScript()
    {
        const string type = "(CASE WHEN :s % 10 < 3 THEN 'Customer' ELSE 'Visitor' END)";
        const string id = "(CASE WHEN :s % 10 < 3 THEN (1000000 + :s)::text ELSE 'bv' || lpad(:s::text, 30, '0') END)";
        var sql = ConsentStateReader.Sql.Replace("$1", type, StringComparison.Ordinal).Replace("$2", id, StringComparison.Ordinal)
            .Replace("$3", "now()", StringComparison.Ordinal);
        var path = Path.Combine(Path.GetTempPath(), $"bench-state-{Environment.ProcessId}.sql");
        File.WriteAllText(path, $"\\set s random(1, :subjects)\n{sql};\n");
        return path;
    }
}
