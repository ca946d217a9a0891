using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>One webhook request as the receiver saw it, and what it answered.</summary>
public sealed record ReceivedWebhook(string Id, long Timestamp, string Signature, string Body, int Status)
{
    /// <summary>The caller's User-Agent header.</summary>
    public string UserAgent { get; init; } = "";
}

/// <summary>
/// A partner's webhook endpoint: a real HTTP listener (Kestrel) on loopback. It records every request, answers what
/// <see cref="Respond"/> says, and notices a message arriving while the same message is still being received.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private int _concurrentDuplicates;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>How many times a message arrived while the same message was being received (must stay 0).</summary>
    public int ConcurrentDuplicates => _concurrentDuplicates;

    /// <summary>The answer to each request: status and an optional Retry-After. Default 204.</summary>
    public Func<ReceivedWebhook, Task<(int Status, TimeSpan? RetryAfter)>> Respond { get; set; } = _ => Task.FromResult((204, (TimeSpan?)null));

    public IEnumerable<ReceivedWebhook> Accepted => Received.Where(r => r.Status is >= 200 and < 300);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks", receiver.Handle);
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hooks";
        return receiver;
    }

    private async Task<IResult> Handle(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var call = new ReceivedWebhook(request.Headers["webhook-id"].ToString(), long.Parse(request.Headers["webhook-timestamp"].ToString(), System.Globalization.CultureInfo.InvariantCulture),
            request.Headers["webhook-signature"].ToString(), body, 0) { UserAgent = request.Headers.UserAgent.ToString() };
        if (_inFlight.AddOrUpdate(call.Id, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _concurrentDuplicates);
        }

        try
        {
            var (status, retryAfter) = await Respond(call);
            Received.Enqueue(call with { Status = status });
            if (retryAfter is { } delay)
            {
                request.HttpContext.Response.Headers.RetryAfter = ((int)delay.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Results.StatusCode(status);
        }
        finally
        {
            _inFlight.AddOrUpdate(call.Id, 0, (_, n) => n - 1);
        }
    }

    /// <summary>
    /// Whether one of the request's signatures is the one the official Standard Webhooks library computes for
    /// <paramref name="secret"/> (an implementation independent of the service's own signer).
    /// </summary>
    public static bool IsSignedWith(ReceivedWebhook call, string secret)
    {
        var expected = new StandardWebhook(secret).Sign(call.Id, DateTimeOffset.FromUnixTimeSeconds(call.Timestamp), call.Body);
        return call.Signature.Split(' ').Contains(expected);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
