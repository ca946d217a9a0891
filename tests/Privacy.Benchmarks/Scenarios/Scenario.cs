using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks.Scenarios;

/// <summary>
/// One benchmark scenario. To add one: implement
/// this, measure the service and its baseline in the same run through the <see cref="BenchContext"/>, and add it
/// to <see cref="Harness.Scenarios"/>.
/// </summary>
internal interface IScenario
{
    string Name { get; }

    Task<IReadOnlyList<ResultRow>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>A line of the results table: what was measured, against what, the ratio and the target.</summary>
/// <param name="Ratio">Measured ÷ baseline requests per second (or, for latency rows, the latency ratio).</param>
/// <param name="Met">Whether the target holds; null when the row has no target.</param>
internal sealed record ResultRow(
    string Scenario,
    Measurement Measured,
    Measurement? Baseline,
    double? Ratio,
    string Target,
    bool? Met);
