using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;
using Privacy.Api.Audit;

namespace Privacy.Api.Notifications;

/// <summary>
/// Delivers outbox messages to each recipient's webhook endpoint, at least once, signed (Standard Webhooks).
/// Any number of instances may run it: a message is claimed with <c>FOR UPDATE SKIP LOCKED</c> and a lease,
/// so two relays never send it at once, and one that dies leaves its claims to the others when the lease ends.
/// A message waits while an earlier message to the same recipient about the same subject is undelivered.
/// Failed deliveries are retried on a schedule kept in the database, up to a horizon, then dead-lettered.
/// </summary>
public sealed partial class OutboxRelay(
    NpgsqlDataSource dataSource,
    IHttpClientFactory httpClients,
    WebhookSecrets secrets,
    IServiceScopeFactory scopes,
    IOptions<NotifierOptions> options,
    TimeProvider time,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";

    private readonly Guid _relayId = Guid.NewGuid();
    private readonly ResiliencePipelineRegistry<string> _pipelines = new();

    /// <summary>Recipients whose circuit is open, until when (real time, like the breaker's): this relay does not claim for them.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _paused = new();

    private sealed record Claimed(long Id, Guid MessageId, string Recipient, string EventType, string Payload, DateTimeOffset CreatedAt,
        int Attempts, string Url);

    /// <summary>What one delivery came to.</summary>
    /// <param name="CircuitOpenFor">Set when the recipient's circuit is open (possibly after some of this delivery's attempts).</param>
    private sealed record DeliveryOutcome(int Attempts, int? StatusCode, string? Error, TimeSpan? RetryAfter, TimeSpan? CircuitOpenFor = null)
    {
        public bool Delivered => StatusCode is >= 200 and < 300;
    }

    // Due messages whose recipient has an enabled endpoint and whose predecessor about the same subject is delivered (or
    // dead): taken in id order, skipping rows another relay is claiming right now. The statement lives in a function
    // (migration OutboxClaimFunction) that runs it with sequential scans off, so the predecessor check stays a primary-key
    // lookup whatever the statistics say: taken while the queue was empty (its usual state), they made the planner scan the
    // whole table for every candidate (0.17–0.5 s per claim at 20,000–40,000 rows). COALESCE keeps the probe off the
    // pending index's predicate for the same reason.
    private const string ClaimSql = "SELECT * FROM privacy.claim_outbox_messages($1, $2, $3, $4, $5)";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.RelayEnabled)
        {
            return;
        }

        // Each recipient's claimed batch is delivered on its own: while one partner is slow, the loop goes on claiming
        // and delivering for the others (a recipient with a batch in flight is not claimed for again until it is done).
        var inFlight = new Dictionary<string, Task>();
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            foreach (var done in inFlight.Where(d => d.Value.IsCompleted).Select(d => d.Key).ToList())
            {
                inFlight.Remove(done);
            }

            try
            {
                var batches = await ClaimAsync([.. inFlight.Keys], stoppingToken);
                failures = 0;
                foreach (var batch in batches)
                {
                    inFlight[batch.Recipient] = DeliverSafelyAsync(batch, stoppingToken);
                }

                if (batches.Count == 0)
                {
                    // Idle: wait for the next poll, or for a busy recipient to finish (it may have more waiting).
                    await Task.WhenAny(inFlight.Values.Append(Task.Delay(options.Value.PollInterval, stoppingToken)));
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The loop never dies: a database outage is waited out with a growing pause.
                failures++;
                LogRelayFailed(logger, e.GetType().Name, failures);
                await Task.WhenAny(Task.Delay(TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, failures))), stoppingToken));
            }
        }

        await Task.WhenAll(inFlight.Values); // deliveries hand back what they did not send when stopping
    }

    /// <summary>Claims one batch of due messages and delivers it, recipients in parallel; returns how many were claimed.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var batches = await ClaimAsync([], cancellationToken);
        await Task.WhenAll(batches.Select(batch => DeliverAsync(batch, cancellationToken)));
        return batches.Sum(b => b.Messages.Count);
    }

    /// <summary>One recipient's claimed messages, in order, with the keys that sign them and the end of the claim.</summary>
    private sealed record Batch(string Recipient, List<Claimed> Messages, List<byte[]> Keys, DateTimeOffset LeaseEnd);

    private async Task<List<Batch>> ClaimAsync(string[] busy, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var leaseEnd = now + options.Value.ClaimLease;
        var claimed = new List<Claimed>();
        await using (var claim = dataSource.CreateCommand(ClaimSql))
        {
            claim.Parameters.AddWithValue(now);
            claim.Parameters.AddWithValue(options.Value.BatchSize);
            claim.Parameters.AddWithValue(_relayId);
            claim.Parameters.AddWithValue(leaseEnd);
            claim.Parameters.AddWithValue(PausedRecipients().Concat(busy).Distinct().ToArray());
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                claimed.Add(new Claimed(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                    reader.GetFieldValue<DateTimeOffset>(5), reader.GetInt32(6), reader.GetString(7)));
            }
        }

        if (claimed.Count == 0)
        {
            return [];
        }

        var keys = await SigningKeys([.. claimed.Select(c => c.Recipient).Distinct()], now, cancellationToken);
        return [.. claimed.GroupBy(c => c.Recipient).Select(g => new Batch(g.Key, [.. g.OrderBy(c => c.Id)], keys.GetValueOrDefault(g.Key) ?? [], leaseEnd))];
    }

    /// <summary>A delivery that never faults the relay's loop: what it could not record, the lease hands to another relay.</summary>
    private async Task DeliverSafelyAsync(Batch batch, CancellationToken cancellationToken)
    {
        try
        {
            await DeliverAsync(batch, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            LogDeliveryFailed(logger, batch.Recipient, e.GetType().Name);
        }
    }

    private async Task DeliverAsync(Batch batch, CancellationToken cancellationToken)
    {
        // Deliveries are recorded together (one statement, one commit per up to 50): a relay that dies in between only
        // sends those messages again, which at-least-once allows and the unchanged webhook-id lets receivers drop.
        var delivered = new List<(long Id, int Status)>();
        try
        {
            await DeliverInOrderAsync(batch, delivered, cancellationToken);
        }
        finally
        {
            await RecordDeliveredAsync(delivered);
        }
    }

    private async Task DeliverInOrderAsync(Batch batch, List<(long Id, int Status)> delivered, CancellationToken cancellationToken)
    {
        var (messages, keys, leaseEnd) = (batch.Messages, batch.Keys, batch.LeaseEnd);
        var pipeline = Pipeline(batch.Recipient);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            if (cancellationToken.IsCancellationRequested || time.GetUtcNow() + options.Value.DeliveryBudget() > leaseEnd)
            {
                // Stopping, or the lease would end mid-delivery: hand the rest back instead of racing another relay.
                await ReleaseAsync(messages.Skip(i), time.GetUtcNow());
                return;
            }

            DeliveryOutcome outcome;
            try
            {
                outcome = await SendAsync(message, keys, pipeline, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await ReleaseAsync(messages.Skip(i), time.GetUtcNow());
                return;
            }

            if (outcome.Delivered)
            {
                delivered.Add((message.Id, outcome.StatusCode!.Value));
                if (delivered.Count >= 50)
                {
                    await RecordDeliveredAsync(delivered);
                }

                continue;
            }

            if (outcome.CircuitOpenFor is { } pause)
            {
                // The recipient's circuit is open: this relay leaves it alone until the break ends. Attempts already made
                // count (and schedule the next); a message not attempted at all goes back as it was.
                _paused[message.Recipient] = TimeProvider.System.GetUtcNow() + pause;
                if (outcome.Attempts > 0)
                {
                    await RecordAsync(message, outcome);
                }

                await ReleaseAsync(messages.Skip(outcome.Attempts > 0 ? i + 1 : i), time.GetUtcNow(), "circuit open: the endpoint failed repeatedly");
                return;
            }

            if (outcome.StatusCode == StatusCodes.Status410Gone)
            {
                await DisableEndpointAsync(message); // first, so no relay takes the next message to the gone endpoint
                await RecordAsync(message, outcome);
                await ReleaseAsync(messages.Skip(i + 1), time.GetUtcNow());
                return;
            }

            await RecordAsync(message, outcome);
        }
    }

    /// <summary>Marks delivered messages (only those this relay still holds) and empties the list.</summary>
    private async Task RecordDeliveredAsync(List<(long Id, int Status)> delivered)
    {
        if (delivered.Count == 0)
        {
            return;
        }

        await using var update = dataSource.CreateCommand("""
            UPDATE privacy.outbox_messages m
            SET attempts = attempts + 1, last_attempt_at = $3, last_status_code = d.status, last_error = NULL, delivered_at = $3,
                claimed_by = NULL, claimed_until = NULL
            FROM unnest($1::bigint[], $2::int[]) AS d(id, status)
            WHERE m.id = d.id AND m.claimed_by = $4
            """);
        update.Parameters.AddWithValue(delivered.Select(d => d.Id).ToArray());
        update.Parameters.AddWithValue(delivered.Select(d => d.Status).ToArray());
        update.Parameters.AddWithValue(time.GetUtcNow());
        update.Parameters.AddWithValue(_relayId);
        var recorded = await update.ExecuteNonQueryAsync(CancellationToken.None);
        if (recorded < delivered.Count)
        {
            LogClaimsLost(logger, delivered.Count - recorded);
        }

        delivered.Clear();
    }

    private async Task<DeliveryOutcome> SendAsync(Claimed message, List<byte[]> keys, ResiliencePipeline<HttpResponseMessage> pipeline,
        CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(message.Payload);
        var attempts = 0;
        string? lastError = null;
        var client = httpClients.CreateClient(HttpClientName);
        try
        {
            using var response = await pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                // Signed afresh for each attempt: receivers reject old timestamps. The id stays the same.
                var timestamp = time.GetUtcNow().ToUnixTimeSeconds();
                using var request = new HttpRequestMessage(HttpMethod.Post, message.Url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                request.Headers.Add(WebhookSigner.IdHeader, message.MessageId.ToString());
                request.Headers.Add(WebhookSigner.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                request.Headers.Add(WebhookSigner.SignatureHeader, WebhookSigner.Sign(message.MessageId.ToString(), timestamp, body, keys));
                try
                {
                    var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token);
                    lastError = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
                    return response;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    lastError = e is HttpRequestException http ? Unreachable(http) : "timed out";
                    throw;
                }
            }, cancellationToken);
            return new DeliveryOutcome(attempts, (int)response.StatusCode,
                response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}", RetryAfter(response));
        }
        catch (TimeoutRejectedException)
        {
            return new DeliveryOutcome(attempts, null, $"timed out after {options.Value.AttemptTimeout.TotalSeconds:0.#} s", null);
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome(attempts, null, Unreachable(e), null);
        }
        catch (BrokenCircuitException open)
        {
            return new DeliveryOutcome(attempts, null, $"circuit opened after repeated failures (last: {lastError ?? "none"})", null,
                open.RetryAfter ?? options.Value.BreakerBreakDuration);
        }
    }

    /// <summary>What ops see of a failed connection: the guard's refusal in its own words, anything else by its kind.</summary>
    private static string Unreachable(HttpRequestException e) =>
        e.InnerException is EndpointRefusedException refused ? $"refused: {refused.Message}" : $"{e.HttpRequestError}: could not reach the endpoint";

    private ResiliencePipeline<HttpResponseMessage> Pipeline(string recipient) =>
        _pipelines.GetOrAddPipeline<HttpResponseMessage>(recipient, builder =>
        {
            var o = options.Value;
            var transient = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>()
                .Handle<TimeoutRejectedException>()
                .HandleResult(r => r.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500);
            if (o.ImmediateRetries > 0)
            {
                Func<RetryPredicateArguments<HttpResponseMessage>, ValueTask<bool>> retryable = transient;
                builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = o.ImmediateRetries,
                    Delay = o.ImmediateRetryDelay,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    // A receiver that asks for a pause (Retry-After) gets it from the persistent schedule instead.
                    ShouldHandle = args => args.Outcome.Result?.Headers.RetryAfter is not null
                        ? PredicateResult.False()
                        : retryable(args),
                });
            }

            builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                FailureRatio = o.BreakerFailureRatio,
                MinimumThroughput = o.BreakerMinimumThroughput,
                SamplingDuration = o.BreakerSamplingDuration,
                BreakDuration = o.BreakerBreakDuration,
                ShouldHandle = transient,
            });
            builder.AddTimeout(o.AttemptTimeout);
        });

    private string[] PausedRecipients()
    {
        var now = TimeProvider.System.GetUtcNow();
        foreach (var (recipient, until) in _paused.Where(p => p.Value <= now))
        {
            _paused.TryRemove(recipient, out _);
        }

        return [.. _paused.Keys];
    }

    /// <summary>The longest one delivery can take: every attempt timing out, with the backoff between them.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Delivered, or the next attempt scheduled, or dead-lettered when that would be past the horizon.</summary>
    private async Task RecordAsync(Claimed message, DeliveryOutcome outcome)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? next = null, dead = null;
        if (!outcome.Delivered)
        {
            var attempt = message.Attempts + 1;
            var schedule = options.Value.EffectiveRetrySchedule;
            var planned = schedule[Math.Min(attempt, schedule.Length) - 1] * (0.9 + Random.Shared.NextDouble() * 0.2);
            var delay = outcome.RetryAfter is { } asked && asked > planned ? Min(asked, TimeSpan.FromDays(1)) : planned;
            if (outcome.StatusCode == StatusCodes.Status410Gone)
            {
                next = now; // waits for the endpoint to be set again, then goes at once
            }
            else if (now + delay > message.CreatedAt + options.Value.RetryHorizon)
            {
                dead = now;
            }
            else
            {
                next = now + delay;
            }
        }

        // One delivery attempt more, however many requests its immediate retries made: the schedule counts attempts.
        await using var update = dataSource.CreateCommand("""
            UPDATE privacy.outbox_messages
            SET attempts = attempts + 1, last_attempt_at = $2, last_status_code = $3, last_error = $4,
                delivered_at = CASE WHEN $5 THEN $2 END, next_attempt_at = COALESCE($6, next_attempt_at), dead_lettered_at = $7,
                claimed_by = NULL, claimed_until = NULL
            WHERE id = $1 AND claimed_by = $8
            """);
        update.Parameters.AddWithValue(message.Id);
        update.Parameters.AddWithValue(now);
        update.Parameters.Add(new NpgsqlParameter<int?> { TypedValue = outcome.StatusCode });
        update.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = outcome.Error });
        update.Parameters.AddWithValue(outcome.Delivered);
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = next });
        update.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = dead });
        update.Parameters.AddWithValue(_relayId);
        if (await update.ExecuteNonQueryAsync(CancellationToken.None) == 0)
        {
            LogClaimLost(logger, message.Id);
        }
        else if (dead is not null)
        {
            LogDeadLettered(logger, message.Id, message.Recipient, outcome.Error);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    /// <summary>Gives messages back unsent: due again at <paramref name="at"/>, no attempt counted.</summary>
    private async Task ReleaseAsync(IEnumerable<Claimed> messages, DateTimeOffset at, string? reason = null)
    {
        var ids = messages.Select(m => m.Id).ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        try
        {
            await using var release = dataSource.CreateCommand("""
                UPDATE privacy.outbox_messages
                SET claimed_by = NULL, claimed_until = NULL, next_attempt_at = GREATEST(next_attempt_at, $3), last_error = COALESCE($4, last_error)
                WHERE id = ANY($1) AND claimed_by = $2
                """);
            release.Parameters.AddWithValue(ids);
            release.Parameters.AddWithValue(_relayId);
            release.Parameters.AddWithValue(at);
            release.Parameters.Add(new NpgsqlParameter<string?> { TypedValue = reason });
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogReleaseFailed(logger, ids.Length, e.GetType().Name); // the lease runs out and another relay takes them
        }
    }

    /// <summary>410 Gone: the recipient says the endpoint is no more. Stop sending and tell ops (audit + status).</summary>
    private async Task DisableEndpointAsync(Claimed message)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Platform.Database.PrivacyDbContext>();
        var audit = scope.ServiceProvider.GetRequiredService<AuditTrail>();
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var disabled = await db.Database.ExecuteSqlAsync($"""
            UPDATE privacy.webhook_endpoints SET disabled_at = {now}, disabled_reason = {"The endpoint answered 410 Gone"}
            WHERE recipient_key = {message.Recipient} AND url = {message.Url} AND disabled_at IS NULL
            """);
        if (disabled == 1)
        {
            audit.Record("webhook.endpoint_disabled", "webhook_endpoint", message.Recipient, new { reason = "410 Gone", messageId = message.MessageId });
            await db.SaveChangesAsync();
            LogEndpointGone(logger, message.Recipient);
        }

        await transaction.CommitAsync();
    }

    private async Task<Dictionary<string, List<byte[]>>> SigningKeys(string[] recipients, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT recipient_key, protected, key_id FROM privacy.webhook_secrets
            WHERE recipient_key = ANY($1) AND (expires_at IS NULL OR expires_at > $2)
            ORDER BY id
            """);
        command.Parameters.AddWithValue(recipients);
        command.Parameters.AddWithValue(now);
        var keys = new Dictionary<string, List<byte[]>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var recipient = reader.GetString(0);
            if (!keys.TryGetValue(recipient, out var list))
            {
                keys[recipient] = list = [];
            }

            list.Add(secrets.SigningKey(reader.GetFieldValue<byte[]>(1), reader.GetString(2)));
        }

        return keys;
    }

    [LoggerMessage(LogLevel.Error, "Outbox relay pass failed ({ErrorType}), failure {Failures} in a row; retrying")]
    private static partial void LogRelayFailed(ILogger logger, string errorType, int failures);

    [LoggerMessage(LogLevel.Error, "Delivering to {Recipient} failed ({ErrorType}); the claimed messages go out again when their lease ends")]
    private static partial void LogDeliveryFailed(ILogger logger, string recipient, string errorType);

    [LoggerMessage(LogLevel.Warning, "{Count} delivered outbox messages were no longer claimed by this relay when recorded; they may be sent again")]
    private static partial void LogClaimsLost(ILogger logger, int count);

    [LoggerMessage(LogLevel.Warning, "Outbox message {Id} was no longer claimed by this relay when its delivery was recorded")]
    private static partial void LogClaimLost(ILogger logger, long id);

    [LoggerMessage(LogLevel.Warning, "Outbox message {Id} to {Recipient} dead-lettered after the retry horizon ({Error})")]
    private static partial void LogDeadLettered(ILogger logger, long id, string recipient, string? error);

    [LoggerMessage(LogLevel.Warning, "Could not release {Count} claimed outbox messages ({ErrorType}); their lease will expire")]
    private static partial void LogReleaseFailed(ILogger logger, int count, string errorType);

    [LoggerMessage(LogLevel.Warning, "Webhook endpoint of {Recipient} answered 410 Gone and is disabled until ops set it again")]
    private static partial void LogEndpointGone(ILogger logger, string recipient);
}
