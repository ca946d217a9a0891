using Privacy.Benchmarks;

// The benchmark harness: see docs/performance.md. Run it with tests/Privacy.Benchmarks/run.
var repository = FindRepository(AppContext.BaseDirectory);
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

static string FindRepository(string start)
{
    for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run the harness from inside the repository.");
}
