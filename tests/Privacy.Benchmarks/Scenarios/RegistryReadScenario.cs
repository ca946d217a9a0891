namespace Privacy.Benchmarks.Scenarios;

/// <summary>The ops and frontend registry reads: the Art 30 export (JSON) and the category list.</summary>
internal sealed class RegistryReadScenario : IScenario
{
    public string Name => "registry-read";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var rows = new List<ResultRow>();
        foreach (var (path, key) in new[] { ("/registry/record-of-processing", context.OpsKey), ("/registry/categories", context.FrontendKey) })
        {
            var measurement = await context.LoadServiceAsync($"GET {path}", "get.lua", context.Options.Duration, context.Options.Connections,
                new Dictionary<string, string> { ["BENCH_PATH"] = path, ["BENCH_KEY"] = key }, cancellationToken);
            rows.Add(new ResultRow(Name, measurement, null, null, "errors = 0", measurement.Errors == 0));
        }

        return rows;
    }
}
