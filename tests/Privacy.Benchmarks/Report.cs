using System.Globalization;
using System.Text;
using Privacy.Benchmarks.Scenarios;

namespace Privacy.Benchmarks;

/// <summary>The results of one run: the table printed to the console and the JSON file.</summary>
internal sealed record Report(
    DateTimeOffset Started,
    DateTimeOffset Finished,
    string Machine,
    string PostgresVersion,
    IReadOnlyDictionary<string, string> PostgresSettings,
    BenchmarkOptions Options,
    int Subjects,
    double ServicePeakResidentMiB,
    IReadOnlyList<ResultRow> Rows)
{
    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}; PostgreSQL {PostgresVersion}; {Subjects:N0} subjects; " +
                                                       $"{Options.Connections} connections; {Options.Duration.TotalSeconds:N0} s per run");
        text.AppendLine();
        text.AppendLine("| scenario | measured | req/s | p50 ms | p99 ms | errors | CPU ms/req | baseline | baseline req/s | baseline p50 / p99 ms | ratio | target | met |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|");
        foreach (var row in Rows)
        {
            var m = row.Measured;
            var b = row.Baseline;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Scenario} | {m.Name} | {m.RequestsPerSecond:N0} | {m.P50Ms:N2} | {m.P99Ms:N2} | {m.Errors} | " +
                $"{(m.CpuMsPerRequest is { } cpu ? cpu.ToString("N3", CultureInfo.InvariantCulture) : "")} | " +
                $"{b?.Name} | {(b is null ? "" : b.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture))} | " +
                $"{(b is null ? "" : $"{b.P50Ms:N2} / {b.P99Ms:N2}")} | " +
                $"{(row.Ratio is { } r ? $"{r:N2}×" : "")} | {row.Target} | {(row.Met switch { true => "yes", false => "**no**", null => "" })} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Service peak resident memory: {ServicePeakResidentMiB:N0} MiB. Run took {(Finished - Started).TotalMinutes:N1} min.");
        return text.ToString();
    }
}
