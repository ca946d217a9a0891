using Privacy.Benchmarks;

namespace Privacy.Reliability;

/// <summary>The service instances of a run: callers pick any live one; the fault injector kills and replaces them.</summary>
internal sealed class Fleet(string dll, string connectionString, IReadOnlyDictionary<string, string> settings) : IAsyncDisposable
{
    private readonly List<ServiceUnderTest> _live = [];
    private readonly Lock _lock = new();

    public async Task StartAsync(int instances, CancellationToken cancellationToken)
    {
        var started = await Task.WhenAll(Enumerable.Range(0, instances).Select(_ => ServiceUnderTest.StartAsync(dll, connectionString, cancellationToken, settings)));
        lock (_lock)
        {
            _live.AddRange(started);
        }
    }

    /// <summary>A live instance's base URL, chosen at random (a load balancer without health checks).</summary>
    public string AnyUrl()
    {
        lock (_lock)
        {
            return _live[Random.Shared.Next(_live.Count)].BaseUrl;
        }
    }

    /// <summary>Kills one instance with SIGKILL (Process.Kill on Linux) in the middle of whatever it does, then starts a replacement.</summary>
    public async Task KillOneAndReplaceAsync(CancellationToken cancellationToken)
    {
        ServiceUnderTest victim;
        lock (_lock)
        {
            if (_live.Count < 2)
            {
                return; // keep one serving while the replacement starts
            }

            victim = _live[Random.Shared.Next(_live.Count)];
            _live.Remove(victim);
        }

        await victim.DisposeAsync(); // SIGKILL: no graceful shutdown, open transactions and claims die with it
        var replacement = await ServiceUnderTest.StartAsync(dll, connectionString, cancellationToken, settings);
        lock (_lock)
        {
            _live.Add(replacement);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceUnderTest> live;
        lock (_lock)
        {
            live = [.. _live];
            _live.Clear();
        }

        foreach (var instance in live)
        {
            await instance.DisposeAsync();
        }
    }
}
