using Privacy.Benchmarks;

namespace Privacy.Reliability;

/// <summary>
/// The service instances of a run: callers pick any live one; the fault injector kills and replaces them, or changes the settings
/// and rolls them out instance by instance, as an orchestrator's rolling update does.
/// </summary>
internal sealed class Fleet(string dll, string connectionString, IReadOnlyDictionary<string, string> settings) : IAsyncDisposable
{
    private readonly List<ServiceUnderTest> _live = [];
    private readonly Dictionary<string, string> _settings = new(settings);
    private readonly Lock _lock = new();

    public async Task StartAsync(int instances, CancellationToken cancellationToken)
    {
        var starting = Enumerable.Range(0, instances).Select(_ => Start(cancellationToken)).ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        catch
        {
            // One failed to start: the others must not outlive the run.
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }

        lock (_lock)
        {
            _live.AddRange(starting.Select(t => t.Result));
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

    /// <summary>Every live instance's base URL.</summary>
    public IReadOnlyList<string> Urls()
    {
        lock (_lock)
        {
            return [.. _live.Select(s => s.BaseUrl)];
        }
    }

    /// <summary>Changes settings for the instances started from now on (the running ones keep what they started with: see <see cref="RollAsync"/>).</summary>
    public void Configure(IEnumerable<KeyValuePair<string, string>> changes)
    {
        lock (_lock)
        {
            foreach (var (name, value) in changes)
            {
                _settings[name] = value;
            }
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
        var replacement = await Start(cancellationToken);
        lock (_lock)
        {
            _live.Add(replacement);
        }
    }

    /// <summary>
    /// A rolling update to the current settings (a Deployment's <c>maxSurge: 1, maxUnavailable: 0</c>): for each instance live when
    /// it begins, a new one is started and ready first, then the old one leaves the rotation and is stopped with SIGTERM (SIGKILL
    /// after 30 s). Every instance keeps serving until its replacement does. Returns how many were replaced and how many of the old
    /// ones had to be killed.
    /// </summary>
    public async Task<(int Replaced, int Killed)> RollAsync(CancellationToken cancellationToken)
    {
        List<ServiceUnderTest> old;
        lock (_lock)
        {
            old = [.. _live];
        }

        var killed = 0;
        foreach (var instance in old)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var replacement = await Start(cancellationToken);
            var ready = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            lock (_lock)
            {
                _live.Add(replacement);
                _live.Remove(instance); // out of the rotation before it stops, as a Service's endpoints are
            }

            killed += await instance.StopAsync(TimeSpan.FromSeconds(30)) ? 0 : 1;
            Console.Error.WriteLine($"  rolled one instance: the new one ready in {ready.TotalSeconds:0.0} s, " +
                                    $"the old one gone {(System.Diagnostics.Stopwatch.GetElapsedTime(started) - ready).TotalSeconds:0.0} s later");
        }

        return (old.Count, killed);
    }

    private Task<ServiceUnderTest> Start(CancellationToken cancellationToken)
    {
        Dictionary<string, string> snapshot;
        lock (_lock)
        {
            snapshot = new Dictionary<string, string>(_settings);
        }

        return ServiceUnderTest.StartAsync(dll, connectionString, cancellationToken, snapshot);
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
