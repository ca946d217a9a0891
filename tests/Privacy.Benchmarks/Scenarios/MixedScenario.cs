namespace Privacy.Benchmarks.Scenarios;

/// <summary>Frontend traffic for a minute: 90% consent state reads, 10% new decisions.</summary>
internal sealed class MixedScenario : IScenario
{
    public string Name => "mixed-frontend";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var mixed = await context.LoadServiceAsync("90% GET state / 10% POST decision", "mixed.lua", context.Options.MixedDuration,
            context.Options.Connections, cancellationToken: cancellationToken);
        return [new ResultRow(Name, mixed, null, null, "errors = 0", mixed.Errors == 0)];
    }
}
