using System.Globalization;
using System.Text.Json;

namespace Privacy.Benchmarks.Tools;

/// <summary>
/// Drives HTTP load with wrk (Debian's package): Lua scripts under Scripts/ build the requests and print
/// a JSON summary line (requests, errors, latency percentiles) from wrk's <c>done</c> hook.
/// </summary>
internal static class Wrk
{
    public static async Task<Measurement> RunAsync(string name, string baseUrl, string script, int connections, TimeSpan duration,
        IDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var scriptPath = Path.Combine(AppContext.BaseDirectory, "Scripts", script);
        var output = await ProcessRunner.RunAsync("wrk",
        [
            "-t", Math.Min(2, connections).ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{(int)duration.TotalSeconds}s",
            "--timeout", "10s",
            "-s", scriptPath,
            baseUrl,
        ], environment, cancellationToken: cancellationToken);
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("BENCH_JSON ", StringComparison.Ordinal))
                   ?? throw new InvalidOperationException($"wrk printed no summary:\n{output}");
        var json = JsonDocument.Parse(line["BENCH_JSON ".Length..]).RootElement;
        var requests = json.GetProperty("requests").GetInt64();
        var seconds = json.GetProperty("duration_us").GetDouble() / 1e6;
        var errors = json.GetProperty("errors_status").GetInt64() + json.GetProperty("errors_connect").GetInt64()
                     + json.GetProperty("errors_read").GetInt64() + json.GetProperty("errors_write").GetInt64()
                     + json.GetProperty("errors_timeout").GetInt64();
        return new Measurement(name, "wrk", connections, seconds, requests, errors, requests / seconds,
            json.GetProperty("p50_us").GetDouble() / 1000, json.GetProperty("p99_us").GetDouble() / 1000,
            json.GetProperty("mean_us").GetDouble() / 1000);
    }
}
