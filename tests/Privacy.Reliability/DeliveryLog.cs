using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Privacy.Reliability;

/// <summary>How a partner's endpoint answers: as it should, or one of the faults partners have.</summary>
internal enum PartnerBehaviour
{
    Healthy,
    Down,
    Slow,
    Failing,
    Throttling,
}

/// <summary>
/// A partner's webhook endpoint on loopback that notes every delivery with when it began and ended (to find two deliveries
/// of one message in flight at once) and takes a little while over each, so that such an overlap would have room to happen.
/// </summary>
internal sealed class DeliveryLog : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();

    private DeliveryLog(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>One POST: the <c>webhook-id</c> and its <see cref="Stopwatch"/> start and end.</summary>
    public readonly record struct Delivery(string Id, long Start, long End);

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>How the endpoint answers now (the partner-faults scenario changes it while the load runs).</summary>
    public PartnerBehaviour Behaviour { get; set; } = PartnerBehaviour.Healthy;

    public static async Task<DeliveryLog> StartAsync(TimeSpan handlingTime)
    {
        var (app, baseUrl) = Privacy.Benchmarks.Tools.Loopback.SlimApp();
        DeliveryLog? log = null;
        app.Run(async context =>
        {
            var start = Stopwatch.GetTimestamp();
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            switch (log!.Behaviour)
            {
                case PartnerBehaviour.Down:
                    context.Abort(); // the connection drops without an answer
                    return;
                case PartnerBehaviour.Failing:
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    return;
                case PartnerBehaviour.Throttling:
                    context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                    context.Response.Headers.RetryAfter = "2";
                    return;
                case PartnerBehaviour.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(3), context.RequestAborted); // longer than the relay's attempt timeout
                    context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
                    return;
            }

            await Task.Delay(handlingTime, context.RequestAborted);
            var id = context.Request.Headers["webhook-id"].FirstOrDefault() ?? "";
            log._deliveries.Enqueue(new Delivery(id, start, Stopwatch.GetTimestamp()));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        log = new DeliveryLog(app, $"{baseUrl}/webhooks");
        await app.StartAsync();
        return log;
    }

    /// <summary>Deliveries accepted between two <see cref="Stopwatch"/> timestamps.</summary>
    public int AcceptedBetween(long from, long to) => Deliveries.Count(d => d.End >= from && d.End <= to);

    /// <summary>Messages delivered while another delivery of the same message was still in flight.</summary>
    public int ConcurrentDuplicates() => Deliveries.GroupBy(d => d.Id)
        .Sum(g => g.OrderBy(d => d.Start).Aggregate((Count: 0, End: long.MinValue),
            (acc, d) => (acc.Count + (d.Start < acc.End ? 1 : 0), Math.Max(acc.End, d.End))).Count);

    /// <summary>Deliveries beyond the first of each message (at-least-once allows them; the webhook-id lets receivers drop them).</summary>
    public int Redeliveries() => Deliveries.Count - Deliveries.Select(d => d.Id).Distinct().Count();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
