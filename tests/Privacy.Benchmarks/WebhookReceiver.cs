using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Privacy.Benchmarks;

/// <summary>
/// A loopback webhook receiver: Kestrel with one <c>app.Run</c> handler that reads the body, notes when it arrived, on
/// which path (the sender) and with which <c>webhook-id</c>, and answers 204. Nothing is checked while receiving.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private ConcurrentQueue<Arrival> _arrivals = new();

    private WebhookReceiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>One POST as it arrived: <see cref="Stopwatch"/> timestamp, path, <c>webhook-id</c>, body bytes, signed or not.</summary>
    public readonly record struct Arrival(long Timestamp, string Path, string? Id, int Bytes, bool Signed);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var (app, baseUrl) = Tools.Loopback.SlimApp();
        WebhookReceiver? receiver = null;
        app.Run(async context =>
        {
            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            int read, bytes = 0;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                bytes += read;
            }

            ArrayPool<byte>.Shared.Return(buffer);

            var headers = context.Request.Headers;
            receiver!._arrivals.Enqueue(new Arrival(Stopwatch.GetTimestamp(), context.Request.Path.Value ?? "", headers["webhook-id"].FirstOrDefault(),
                bytes, headers.ContainsKey("webhook-signature")));
            context.Response.StatusCode = HttpMethods.IsPost(context.Request.Method) ? StatusCodes.Status204NoContent : StatusCodes.Status405MethodNotAllowed;
        });
        receiver = new WebhookReceiver(app, baseUrl);
        await app.StartAsync();
        return receiver;
    }

    /// <summary>Requests received since the last <see cref="Take"/>.</summary>
    public int Count => _arrivals.Count;

    /// <summary>Everything received since the last call, which starts a new count.</summary>
    public IReadOnlyList<Arrival> Take() => [.. Interlocked.Exchange(ref _arrivals, new ConcurrentQueue<Arrival>())];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
