using Privacy.Benchmarks;

// The benchmark harness: see docs/performance.md. Run it with tests/Privacy.Benchmarks/run.
var repository = Privacy.Benchmarks.Tools.Loopback.Repository(AppContext.BaseDirectory);
BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args, repository);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await Harness.RunAsync(options, repository, cancel.Token);
