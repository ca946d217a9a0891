using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Privacy.Benchmarks.Tools;

namespace Privacy.Benchmarks;

/// <summary>The service, published in Release and started as its own process in Production mode.</summary>
internal sealed class ServiceUnderTest : IAsyncDisposable
{
    public static readonly IReadOnlyDictionary<string, (string Key, string Role, string? Recipient)> Keys =
        new Dictionary<string, (string, string, string?)>
        {
            ["bench-frontend"] = ("bench-frontend-key-3c1d9e", "frontend", null),
            ["bench-ops"] = ("bench-ops-key-77a0f2", "ops", null),
            ["bench-partner-card"] = ("bench-partner-card-key-5e08b1", "partner", "card-provider"),
        };

    private readonly Process _process;
    private readonly long _clockTicksPerSecond = 100; // USER_HZ on Linux
    private volatile bool _stopping;

    private ServiceUnderTest(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <param name="configuration">Release for figures; the reliability suite in CI reuses the Debug build the tests just made.</param>
    public static async Task<string> PublishAsync(string repository, string output, CancellationToken cancellationToken, string configuration = "Release")
    {
        await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(repository, "src", "Privacy.Api", "Privacy.Api.csproj"), "-c", configuration, "-o", output, "--nologo", "-v", "q"],
            cancellationToken: cancellationToken);
        return Path.Combine(output, "Privacy.Api.dll");
    }

    public static async Task<ServiceUnderTest> StartAsync(string dll, string connectionString, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = Loopback.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Privacy"] = connectionString;
        start.Environment["PrivacyCenter__PublicUrl"] = "https://privacy.bench.test"; // required outside Development: links in messages point there
        foreach (var use in new[] { "ProofHashing", "IdentityNumberHashing", "SecretEncryption" })
        {
            start.Environment[$"DataKeys__{use}__Keys__bench-1"] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"benchmark-{use}-key-of-32-bytes-or-more"));
            start.Environment[$"DataKeys__{use}__Current"] = "bench-1";
        }

        // Warning keeps the harness's terminal readable. PRIVACY_BENCH_SERVICE_LOG_LEVEL=Information logs as production does (one
        // JSON line per request); the service's standard output is then drained unread, as a log collector's pipe would be.
        var logLevel = Environment.GetEnvironmentVariable("PRIVACY_BENCH_SERVICE_LOG_LEVEL");
        start.Environment["Logging__LogLevel__Default"] = string.IsNullOrEmpty(logLevel) ? "Warning" : logLevel;
        // Production refuses http and loopback webhook endpoints; the outbox-relay scenario's receiver is both.
        start.Environment["Notifier__AllowHttp"] = "true";
        start.Environment["Notifier__AllowPrivateNetworks"] = "true";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var index = 0;
        foreach (var (id, (key, role, recipient)) in Keys)
        {
            start.Environment[$"ApiKeys__Keys__{index}__Id"] = id;
            start.Environment[$"ApiKeys__Keys__{index}__Role"] = role;
            start.Environment[$"ApiKeys__Keys__{index}__Hash"] = Privacy.Api.Platform.Security.ApiKeyAuthentication.Hash(key);
            if (recipient is not null)
            {
                start.Environment[$"ApiKeys__Keys__{index}__Recipient"] = recipient;
            }

            index++;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the service.");
        var service = new ServiceUnderTest(process, $"http://127.0.0.1:{port}");
        // A service that dies mid-run says so (its CPU time can no longer be read afterwards).
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            if (!service._stopping)
            {
                Console.Error.WriteLine($"  [service] exited unexpectedly with code {process.ExitCode}");
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null && string.IsNullOrEmpty(logLevel))
            {
                Console.Error.WriteLine($"  [service] {e.Data}");
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [service] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await service.WaitReadyAsync(cancellationToken);
        return service;
    }

    /// <summary>User + system CPU time the service has used so far.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields after the command: state is [0]; utime is field 14 of the full line, i.e. [11] here; stime [12].
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / _clockTicksPerSecond);
    }

    /// <summary>Peak resident memory (VmHWM) in MiB.</summary>
    public double PeakResidentMiB()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }

    private Task WaitReadyAsync(CancellationToken cancellationToken) =>
        Loopback.WaitReadyAsync(BaseUrl, _process, 240, TimeSpan.FromMilliseconds(500),
            code => $"The service exited with {code} while starting.", "The service did not become ready within two minutes.",
            cancellationToken);

    /// <summary>
    /// Stops the service as an orchestrator does in a rolling update: SIGTERM, so it finishes its in-flight requests and stops its
    /// background work, and SIGKILL only if it has not exited within <paramref name="grace"/>. Returns whether it exited by itself.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        _stopping = true;
        if (!_process.HasExited)
        {
            try
            {
                await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            }
            catch (InvalidOperationException) when (_process.HasExited)
            {
                // it exited on its own meanwhile
            }

            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                await DisposeAsync();
                return false;
            }
        }

        await DisposeAsync();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
