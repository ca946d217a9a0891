using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
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
/// It checks every delivery's signature as a partner would (Standard Webhooks) with the secret its registration answered.
/// </summary>
internal sealed class DeliveryLog : IAsyncDisposable
{
    /// <summary>Standard Webhooks' tolerance for the signed timestamp: older or newer is refused as a replay.</summary>
    private static readonly TimeSpan TimestampTolerance = TimeSpan.FromMinutes(5);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly ConcurrentDictionary<string, int> _badSignatures = new();
    private volatile byte[][] _secrets = [];
    private int _verified;

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

    /// <summary>Deliveries whose signature matched (every request that reached the endpoint, whatever it answered).</summary>
    public int Verified => _verified;

    /// <summary>Deliveries whose signature did not match, by why.</summary>
    public IReadOnlyDictionary<string, int> BadSignatures => _badSignatures;

    /// <summary>Trusts a signing secret (<c>whsec_</c> and base64), as a partner does with the one its registration answered.</summary>
    public void Trust(string secret)
    {
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal))
        {
            throw new FormatException("A webhook secret starts with whsec_.");
        }

        _secrets = [.. _secrets, Convert.FromBase64String(secret["whsec_".Length..])];
    }

    public static async Task<DeliveryLog> StartAsync(TimeSpan handlingTime)
    {
        var (app, baseUrl) = Privacy.Benchmarks.Tools.Loopback.SlimApp();
        DeliveryLog? log = null;
        app.Run(async context =>
        {
            var start = Stopwatch.GetTimestamp();
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            log!.Verify(context.Request.Headers, body.ToArray());
            switch (log.Behaviour)
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

    /// <summary>
    /// Standard Webhooks: <c>webhook-signature</c> holds space-separated <c>v1,</c> + base64 HMAC-SHA256 of
    /// <c>"{webhook-id}.{webhook-timestamp}.{body}"</c> under a secret; one matching a trusted secret suffices.
    /// </summary>
    private void Verify(IHeaderDictionary headers, byte[] body)
    {
        var id = headers["webhook-id"].FirstOrDefault();
        var timestamp = headers["webhook-timestamp"].FirstOrDefault();
        var signatures = headers["webhook-signature"].FirstOrDefault();
        string? bad;
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            bad = "a webhook header missing";
        }
        else if (!long.TryParse(timestamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                 || (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > TimestampTolerance)
        {
            bad = "timestamp not within 5 minutes";
        }
        else
        {
            var signed = Encoding.UTF8.GetBytes($"{id}.{timestamp}.").Concat(body).ToArray();
            var expected = _secrets.Select(secret => HMACSHA256.HashData(secret, signed)).ToList();
            var presented = signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Where(s => s.StartsWith("v1,", StringComparison.Ordinal)).Select(s => FromBase64(s[3..])).OfType<byte[]>();
            bad = presented.Any(p => expected.Any(e => CryptographicOperations.FixedTimeEquals(p, e)))
                ? null
                : "no v1 signature matches the registered secret";
        }

        if (bad is null)
        {
            Interlocked.Increment(ref _verified);
        }
        else
        {
            _badSignatures.AddOrUpdate(bad, 1, (_, n) => n + 1);
        }
    }

    private static byte[]? FromBase64(string text)
    {
        var buffer = new byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out var length) ? buffer[..length] : null;
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
