namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// POST a banner decision with proof and an Idempotency-Key (event, choices, proof, notice, audit and
/// idempotency rows in one transaction), against pgbench running the same INSERTs in one transaction.
/// </summary>
internal sealed class ConsentWriteScenario : IScenario
{
    public string Name => "consent-write";

    public async Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var pgbench = await context.PgbenchAsync("pgbench: the decision's INSERTs, one tx", "write.sql", context.Options.Duration,
            context.Options.Connections, cancellationToken);
        var write = await context.LoadServiceAsync("POST /consent/decisions", "write.lua", context.Options.Duration, context.Options.Connections,
            cancellationToken: cancellationToken);
        return
        [
            new ResultRow(Name, write, pgbench, write.RequestsPerSecond / pgbench.RequestsPerSecond, "≥ 0.5× pgbench",
                write.RequestsPerSecond >= 0.5 * pgbench.RequestsPerSecond && write.Errors == 0),
        ];
    }
}
