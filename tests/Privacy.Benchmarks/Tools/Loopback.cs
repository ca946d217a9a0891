using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Privacy.Benchmarks.Tools;

/// <summary>Loopback plumbing shared by the benchmark harness and the reliability suite.</summary>
internal static class Loopback
{
    /// <summary>A TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A quiet, minimal Kestrel app on a free loopback port, and its base URL; the caller adds its handler and starts it.</summary>
    public static (WebApplication App, string BaseUrl) SlimApp()
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        return (builder.Build(), $"http://127.0.0.1:{port}");
    }

    /// <summary>
    /// Polls <c>{baseUrl}/health/ready</c> until it answers 2xx, <paramref name="attempts"/> times <paramref name="delay"/> apart;
    /// fails at once when <paramref name="process"/> exits, saying <paramref name="exited"/>, and with <paramref name="timedOut"/> at the end.
    /// </summary>
    public static async Task WaitReadyAsync(string baseUrl, System.Diagnostics.Process process, int attempts, TimeSpan delay,
        Func<int, string> exited, string timedOut, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException(exited(process.ExitCode));
            }

            try
            {
                if ((await http.GetAsync($"{baseUrl}/health/ready", cancellationToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(delay, cancellationToken);
        }

        throw new TimeoutException(timedOut);
    }

    /// <summary>The repository root: the nearest folder above <paramref name="start"/> holding Privacy.slnx.</summary>
    public static string Repository(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Privacy.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run this from inside the repository.");
    }
}
