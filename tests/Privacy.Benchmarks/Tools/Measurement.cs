namespace Privacy.Benchmarks.Tools;

/// <summary>One load run: what was driven, with which tool, and what it achieved.</summary>
/// <param name="CpuMsPerRequest">Service CPU time (user + system) per request, when the service was the target.</param>
public sealed record Measurement(
    string Name,
    string Tool,
    int Concurrency,
    double Seconds,
    long Requests,
    long Errors,
    double RequestsPerSecond,
    double P50Ms,
    double P99Ms,
    double MeanMs,
    double? CpuMsPerRequest = null)
{
    public Measurement WithCpu(double? cpuMsPerRequest) => this with { CpuMsPerRequest = cpuMsPerRequest };
}
