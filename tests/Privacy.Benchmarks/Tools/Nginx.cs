using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Privacy.Benchmarks.Tools;

/// <summary>
/// nginx (Debian's package) as a local reverse proxy in front of several instances of the service: its own config, pid,
/// logs and temp folders under <c>folder</c>, in the foreground as a child process on a free loopback port.
/// </summary>
internal sealed class Nginx : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string[] _arguments;

    private Nginx(Process process, string[] arguments, string baseUrl, string folder)
    {
        _process = process;
        _arguments = arguments;
        BaseUrl = baseUrl;
        Folder = folder;
    }

    public string BaseUrl { get; }

    /// <summary>Where the config, pid file and error log are.</summary>
    public string Folder { get; }

    /// <summary>Starts nginx proxying to <paramref name="upstreams"/> (base URLs) and waits until it answers the readiness check.</summary>
    public static async Task<Nginx> StartAsync(IReadOnlyList<string> upstreams, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        var port = Loopback.FreePort();
        var config = Path.Combine(folder, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(upstreams, folder, port), cancellationToken);
        var errorLog = Path.Combine(folder, "error.log");
        string[] arguments = ["-p", folder, "-c", config, "-e", errorLog];
        await ProcessRunner.RunAsync(Binary(), [.. arguments, "-t", "-q"], cancellationToken: cancellationToken);

        var start = new ProcessStartInfo(Binary()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start nginx.");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [nginx] {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  [nginx] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var nginx = new Nginx(process, arguments, $"http://127.0.0.1:{port}", folder);
        await nginx.WaitReadyAsync(cancellationToken);
        return nginx;
    }

    /// <summary>Whether nginx is on the PATH or in /usr/sbin (root's PATH has it; others' may not).</summary>
    public static bool Exists() => ProcessRunner.Exists("nginx") || File.Exists("/usr/sbin/nginx");

    private static string Binary() => ProcessRunner.Exists("nginx") ? "nginx" : "/usr/sbin/nginx";

    private static string Config(IReadOnlyList<string> upstreams, string folder, int port)
    {
        var servers = new StringBuilder();
        foreach (var upstream in upstreams)
        {
            servers.AppendLine(CultureInfo.InvariantCulture, $"        server {new Uri(upstream).Authority};");
        }

        // Idle keep-alive connections to the instances: enough for the harness's connections, so none is opened per request.
        return $$"""
            daemon off;
            master_process on;
            worker_processes 1;
            pid {{folder}}/nginx.pid;
            error_log {{folder}}/error.log warn;

            events {
                worker_connections 4096;
            }

            http {
                access_log off;
                client_body_temp_path {{folder}}/client_body;
                proxy_temp_path {{folder}}/proxy;
                fastcgi_temp_path {{folder}}/fastcgi;
                uwsgi_temp_path {{folder}}/uwsgi;
                scgi_temp_path {{folder}}/scgi;

                upstream privacy {
            {{servers}}        keepalive 256;
                    keepalive_requests 1000000;
                    keepalive_timeout 300s;
                }

                server {
                    listen 127.0.0.1:{{port}};
                    keepalive_requests 1000000;
                    keepalive_timeout 300s;
                    client_max_body_size 1m;

                    location / {
                        proxy_pass http://privacy;
                        # HTTP/1.1 with an empty Connection header keeps the upstream connections open.
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        # Answers and bodies stream through rather than spooling to temp files.
                        proxy_buffering off;
                        proxy_request_buffering off;
                        # No silent retry on another instance: a failed upstream request is the client's 502, and counted.
                        proxy_next_upstream off;
                    }
                }
            }
            """;
    }

    private Task WaitReadyAsync(CancellationToken cancellationToken) =>
        Loopback.WaitReadyAsync(BaseUrl, _process, 40, TimeSpan.FromMilliseconds(250),
            code => $"nginx exited with {code} while starting; see {Folder}/error.log.",
            "nginx did not answer the readiness check within ten seconds.", cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A fast shutdown (SIGTERM through the pid file): the master stops and reaps its worker. Killed only if it hangs.
            try
            {
                await ProcessRunner.RunAsync(Binary(), [.. _arguments, "-s", "stop"]);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}
