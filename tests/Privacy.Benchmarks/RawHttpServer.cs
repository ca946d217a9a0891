using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Privacy.Benchmarks;

/// <summary>The HTTP stack's floor: Kestrel with one <c>app.Run</c> handler and nothing else.</summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RawHttpServer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<RawHttpServer> StartAsync()
    {
        var (app, baseUrl) = Tools.Loopback.SlimApp();
        app.Run(context =>
        {
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync("""{"keyId":"raw","role":"none","recipient":null}""");
        });
        await app.StartAsync();
        return new RawHttpServer(app, baseUrl);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
