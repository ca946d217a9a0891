using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

namespace Privacy.Api.Notifications;

/// <summary>The notifier for ops: recipients' webhook endpoints and secrets, the relay's backlog, dead letters and replay.</summary>
public static class NotifierApi
{
    /// <summary>The service and its version, e.g. <c>smultronsites-privacy/1.0.0</c>, on every webhook request.</summary>
    public static readonly string UserAgent = "smultronsites-privacy/" +
        (typeof(NotifierApi).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    public static WebApplicationBuilder AddNotifications(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<NotifierOptions>().BindConfiguration(NotifierOptions.Section)
            .Validate(o => o.BatchSize is >= 1 and <= 1000, "Notifier:BatchSize must be 1–1000.")
            .Validate(o => o.RetrySchedule.All(d => d > TimeSpan.Zero), "Notifier:RetrySchedule needs positive delays.")
            .Validate(o => o.ImmediateRetries is >= 0 and <= 5 && o.AttemptTimeout > TimeSpan.Zero && o.PollInterval > TimeSpan.Zero,
                "Notifier:ImmediateRetries must be 0–5, AttemptTimeout and PollInterval positive.")
            // The relay hands a batch back when the lease would end before a delivery could: a shorter lease never delivers.
            .Validate(o => o.ClaimLease > o.DeliveryBudget(),
                "Notifier:ClaimLease must outlast a whole delivery: AttemptTimeout × (ImmediateRetries + 1) plus the backoff, " +
                "ImmediateRetryDelay × 2^(ImmediateRetries + 1) × 1.5.")
            .Validate(o => o.BreakerMinimumThroughput >= 2 && o.BreakerFailureRatio is > 0 and <= 1
                           && o.BreakerSamplingDuration >= TimeSpan.FromMilliseconds(500) && o.BreakerBreakDuration >= TimeSpan.FromMilliseconds(500),
                "Notifier:Breaker* settings are out of range (throughput ≥ 2, ratio in (0, 1], durations ≥ 0.5 s).")
            .ValidateOnStart();
        if (builder.Environment.IsDevelopment())
        {
            // Local receivers (a test listener, ngrok-less development) are fine on a developer's machine.
            services.PostConfigure<NotifierOptions>(o => (o.AllowHttp, o.AllowPrivateNetworks) =
                (builder.Configuration.GetValue($"{NotifierOptions.Section}:AllowHttp", true),
                 builder.Configuration.GetValue($"{NotifierOptions.Section}:AllowPrivateNetworks", true)));
        }

        services.AddSingleton<IEndpointResolver, DnsEndpointResolver>();
        services.AddSingleton<EndpointGuard>();
        services.AddScoped<Outbox>();
        services.AddScoped<Disclosures.EgressGate>();
        services.AddScoped<FollowUps>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookSecretRekeying>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookSecretRekeying>());
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddHttpClient(OutboxRelay.HttpClientName, client =>
            {
                client.Timeout = Timeout.InfiniteTimeSpan; // Polly times each attempt
                client.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent); // a receiver's logs and firewall know who calls
            })
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var options = sp.GetRequiredService<IOptions<NotifierOptions>>().Value;
                var guard = sp.GetRequiredService<EndpointGuard>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false, // a redirect could lead anywhere, internal addresses included
                    UseCookies = false,
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    ConnectTimeout = options.AttemptTimeout,
                    ConnectCallback = guard.ConnectAsync, // every address it connects to passes the registration's rule
                };
            });
        return builder;
    }

    public static IEndpointRouteBuilder MapNotifierApi(this IEndpointRouteBuilder routes)
    {
        var notifier = routes.MapGroup("/notifier").WithTags("Notifier").RequireAuthorization(Policies.Ops);
        notifier.MapGet("/endpoints", ListEndpoints)
            .WithName("ListWebhookEndpoints")
            .WithSummary("List the recipients' webhook endpoints (never their secrets)")
            .WithDescription("Every registered endpoint, by recipient or internal system key: the URL, whether it is enabled (and why " +
                             "not, e.g. after 410 Gone), and the id and validity of each signing secret. A secret's value is shown once only, " +
                             "when it is created.");
        notifier.MapGet("/endpoints/{recipient}", GetEndpoint)
            .WithName("GetWebhookEndpoint")
            .WithSummary("Show a recipient's webhook endpoint and its secrets' validity (never their values)")
            .WithDescription("404 when the recipient has no webhook endpoint (it may still poll its partner feed).")
            .ProducesProblem(StatusCodes.Status404NotFound);
        notifier.MapPut("/endpoints/{recipient}", SetEndpoint)
            .WithName("SetWebhookEndpoint")
            .WithSummary("Register or change a recipient's (or internal system's) webhook endpoint, and enable it again")
            .WithDescription("The URL must be https on the public internet: its host is resolved, and a host that does not resolve, or " +
                             "any of whose addresses is loopback, private, link-local, carrier-grade NAT, multicast, reserved or an IPv6 " +
                             "form carrying such an IPv4 address, is refused with 422 naming `url` (the relay applies the same rule to " +
                             "every address it connects to). The first registration creates the signing secret and answers 201 with it: the only " +
                             "time it is shown. Later calls change the URL, enable a disabled endpoint (e.g. after 410 Gone) and answer 200; " +
                             "rotate the secret with POST …/secrets. Pending messages go out once the endpoint is enabled.")
            .WithRequestExample(new SetWebhookEndpointRequest("https://partner.example.com/webhooks/privacy"))
            .WithValidation<SetWebhookEndpointRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        notifier.MapDelete("/endpoints/{recipient}", DeleteEndpoint)
            .WithName("DeleteWebhookEndpoint")
            .WithSummary("Stop sending webhooks to a recipient (it can still poll its feed); its secrets are destroyed")
            .WithDescription("Removes the endpoint and its signing secrets (audited). Follow-ups stay in the recipient's partner feed; " +
                             "registering an endpoint again creates a new secret.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        notifier.MapPost("/endpoints/{recipient}/secrets", RotateSecret)
            .WithName("RotateWebhookSecret")
            .WithSummary("Create a new signing secret; the current ones keep signing for the overlap")
            .WithDescription("Answers the new `whsec_` secret once. During the overlap (default 24 h) every message carries a signature " +
                             "with each valid secret, so the recipient can switch without losing a message.")
            .WithRequestExample(new RotateWebhookSecretRequest(24))
            .WithValidation<RotateWebhookSecretRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        notifier.MapGet("/status", Status)
            .WithName("GetNotifierStatus")
            .WithSummary("The relay per recipient: pending, retrying and dead-lettered messages, the last error, and the lag")
            .WithDescription("One row per active recipient and internal system (and any retired one that still has an endpoint): its " +
                             "endpoint and whether it is enabled, pending, retrying and dead-lettered messages, the oldest undelivered one, " +
                             "the lag (seconds the most overdue message has waited past its due time), the last delivery and the last " +
                             "error. The totals come first: the first place to look when a partner says it missed something.");
        notifier.MapGet("/messages", ListMessages)
            .WithName("ListOutboxMessages")
            .WithSummary("Outbox messages by recipient and state (pending, retrying, delivered, dead_lettered), with the last error")
            .WithDescription("Oldest first, paged by id: pass a page's `next` as `after`.")
            .WithQueryValues<MessageState>("state");
        notifier.MapPost("/messages/{id:long}/replay", Replay)
            .WithName("ReplayOutboxMessage")
            .WithSummary("Send a dead-lettered message again (same webhook-id), from now on a fresh retry schedule")
            .WithDescription("Only a dead letter can be replayed (409 while it is still retried or once delivered). It keeps its " +
                             "`webhook-id`, so a recipient that did store it can drop the duplicate; the retry horizon counts from now. Audited.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    public static async Task<Ok<List<WebhookEndpointResponse>>> ListEndpoints(PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var endpoints = await db.Set<WebhookEndpoint>().AsNoTracking().Include(e => e.Secrets).OrderBy(e => e.RecipientKey)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(endpoints.Select(Response).ToList());
    }

    public static async Task<Results<Ok<WebhookEndpointResponse>, ProblemHttpResult>> GetEndpoint(
        string recipient, PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var endpoint = await db.Set<WebhookEndpoint>().AsNoTracking().Include(e => e.Secrets)
            .SingleOrDefaultAsync(e => e.RecipientKey == recipient, cancellationToken);
        return endpoint is null ? NoEndpoint(recipient) : TypedResults.Ok(Response(endpoint));
    }

    public static async Task<Results<Created<WebhookSecretCreated>, Ok<WebhookEndpointResponse>, ProblemHttpResult, ValidationProblem>> SetEndpoint(
        string recipient, SetWebhookEndpointRequest request, PrivacyDbContext db, WebhookSecrets secrets, AuditTrail audit, TimeProvider time,
        RegistryCatalog registry, EndpointGuard guard, CancellationToken cancellationToken)
    {
        if (!await registry.IsPartyAsync(recipient, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "There is no active recipient or internal system with this key in the registry.");
        }

        // SSRF: resolved before the transaction, so a slow name server holds no lock.
        if (await guard.RefusalAsync(request.Url!, cancellationToken) is { } refusal)
        {
            return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["url"] = [refusal] })
            {
                Status = StatusCodes.Status422UnprocessableEntity,
                Title = "Endpoint not allowed",
                Detail = "Nothing was stored: a webhook may only reach addresses on the public internet.",
            });
        }

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var endpoint = await db.Set<WebhookEndpoint>()
            .FromSql($"SELECT * FROM privacy.webhook_endpoints WHERE recipient_key = {recipient} FOR UPDATE")
            .Include(e => e.Secrets).SingleOrDefaultAsync(cancellationToken);
        if (endpoint is not null)
        {
            var wasDisabled = endpoint.DisabledAt is not null;
            (endpoint.Url, endpoint.UpdatedAt, endpoint.DisabledAt, endpoint.DisabledReason) = (request.Url!, now, null, null);
            audit.Record("webhook.endpoint_set", "webhook_endpoint", recipient, new { url = endpoint.Url, enabledAgain = wasDisabled });
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return TypedResults.Ok(Response(endpoint));
        }

        var secret = WebhookSecrets.Generate();
        endpoint = new WebhookEndpoint
        {
            RecipientKey = recipient, Url = request.Url!, CreatedAt = now, UpdatedAt = now,
            Secrets = [secrets.Create(recipient, secret, now)],
        };
        db.Add(endpoint);
        audit.Record("webhook.endpoint_created", "webhook_endpoint", recipient, new { url = endpoint.Url });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/notifier/endpoints/{recipient}", new WebhookSecretCreated(endpoint.Secrets[0].Id, secret, Response(endpoint)));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteEndpoint(
        string recipient, PrivacyDbContext db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var endpoint = await db.Set<WebhookEndpoint>().Include(e => e.Secrets).SingleOrDefaultAsync(e => e.RecipientKey == recipient, cancellationToken);
        if (endpoint is null)
        {
            return NoEndpoint(recipient);
        }

        db.Remove(endpoint);
        audit.Record("webhook.endpoint_deleted", "webhook_endpoint", recipient);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Created<WebhookSecretCreated>, ProblemHttpResult, ValidationProblem>> RotateSecret(
        string recipient, RotateWebhookSecretRequest request, PrivacyDbContext db, WebhookSecrets secrets, AuditTrail audit, TimeProvider time,
        IOptions<NotifierOptions> options, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var endpoint = await db.Set<WebhookEndpoint>()
            .FromSql($"SELECT * FROM privacy.webhook_endpoints WHERE recipient_key = {recipient} FOR UPDATE")
            .Include(e => e.Secrets).SingleOrDefaultAsync(cancellationToken);
        if (endpoint is null)
        {
            return NoEndpoint(recipient);
        }

        var overlapEnd = now + (request.OverlapHours is { } hours ? TimeSpan.FromHours(hours) : options.Value.SecretOverlap);
        foreach (var old in endpoint.Secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > overlapEnd))
        {
            old.ExpiresAt = overlapEnd;
        }

        // Secrets that stopped signing are of no more use: keep none longer than needed.
        db.RemoveRange(endpoint.Secrets.Where(s => s.ExpiresAt <= now));
        var secret = WebhookSecrets.Generate();
        var created = secrets.Create(recipient, secret, now);
        endpoint.Secrets.Add(created);
        audit.Record("webhook.secret_rotated", "webhook_endpoint", recipient, new { oldSecretsExpireAt = overlapEnd });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return TypedResults.Created($"/notifier/endpoints/{recipient}",
            new WebhookSecretCreated(created.Id, secret, Response(endpoint, now)));
    }

    private const string StatusSql = """
        SELECT r.key, e.url, e.disabled_at IS NULL AND e.url IS NOT NULL, e.disabled_reason,
               count(m.id) FILTER (WHERE m.dead_lettered_at IS NULL)::int,
               count(m.id) FILTER (WHERE m.dead_lettered_at IS NULL AND m.attempts > 0)::int,
               count(m.id) FILTER (WHERE m.dead_lettered_at IS NOT NULL)::int,
               min(m.created_at) FILTER (WHERE m.dead_lettered_at IS NULL),
               min(m.next_attempt_at) FILTER (WHERE m.dead_lettered_at IS NULL AND e.disabled_at IS NULL AND e.url IS NOT NULL),
               (SELECT max(d.delivered_at) FROM privacy.outbox_messages d WHERE d.recipient_key = r.key AND d.delivered_at IS NOT NULL),
               (SELECT x.last_error FROM privacy.outbox_messages x
                WHERE x.recipient_key = r.key AND x.last_attempt_at IS NOT NULL ORDER BY x.last_attempt_at DESC LIMIT 1)
        FROM (SELECT key, retired_at FROM privacy.recipients UNION ALL SELECT key, retired_at FROM privacy.internal_systems) r
        LEFT JOIN privacy.webhook_endpoints e ON e.recipient_key = r.key
        LEFT JOIN privacy.outbox_messages m ON m.recipient_key = r.key AND m.delivered_at IS NULL
        WHERE r.retired_at IS NULL OR e.url IS NOT NULL
        GROUP BY r.key, e.url, e.disabled_at, e.disabled_reason
        ORDER BY r.key
        """;

    public static async Task<Ok<NotifierStatus>> Status(NpgsqlDataSource dataSource, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var recipients = new List<RecipientDeliveryStatus>();
        await using var command = dataSource.CreateCommand(StatusSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            DateTimeOffset? At(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
            var earliestDue = At(8);
            recipients.Add(new RecipientDeliveryStatus(
                reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetInt32(4), reader.GetInt32(5), reader.GetInt32(6), At(7),
                earliestDue is { } due && due < now ? Math.Round((now - due).TotalSeconds, 3) : 0, At(9), reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        return TypedResults.Ok(new NotifierStatus(recipients.Select(r => r.LagSeconds).DefaultIfEmpty(0).Max(),
            recipients.Sum(r => r.Pending), recipients.Sum(r => r.DeadLettered), recipients));
    }

    public static async Task<Results<Ok<OutboxMessagePage>, ValidationProblem>> ListMessages(
        PrivacyDbContext db, string? recipient, string? state, long? after, int? limit, CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        var stateValue = EnumQuery.Parse<MessageState>(state, "state", errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.Set<OutboxMessage>().AsNoTracking().Where(m => m.Id > (after ?? 0));
        if (recipient is not null)
        {
            query = query.Where(m => m.RecipientKey == recipient);
        }

        query = stateValue switch
        {
            MessageState.Pending => query.Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null && m.Attempts == 0),
            MessageState.Retrying => query.Where(m => m.DeliveredAt == null && m.DeadLetteredAt == null && m.Attempts > 0),
            MessageState.Delivered => query.Where(m => m.DeliveredAt != null),
            MessageState.DeadLettered => query.Where(m => m.DeadLetteredAt != null),
            _ => query,
        };
        var items = await query.OrderBy(m => m.Id).Take(size)
            .Select(m => new OutboxMessageResponse(m.Id, m.MessageId, m.RecipientKey, m.EventType,
                m.DeliveredAt != null ? MessageState.Delivered
                : m.DeadLetteredAt != null ? MessageState.DeadLettered
                : m.Attempts > 0 ? MessageState.Retrying : MessageState.Pending,
                m.Attempts, m.CreatedAt, m.NextAttemptAt, m.LastAttemptAt, m.LastStatusCode, m.LastError, m.DeliveredAt, m.DeadLetteredAt))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new OutboxMessagePage(items, items.Count == size ? items[^1].Id : null));
    }

    public static async Task<Results<Ok<OutboxMessageResponse>, ProblemHttpResult>> Replay(
        long id, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var message = await db.Set<OutboxMessage>().SingleOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (message is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no outbox message {id}.");
        }

        if (message.DeadLetteredAt is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not dead-lettered",
                detail: $"Message {id} is {(message.DeliveredAt is null ? "still being retried" : "delivered")}; only a dead letter can be replayed.");
        }

        // A fresh schedule from now: the horizon counts from the replay, and the attempts count on.
        (message.DeadLetteredAt, message.NextAttemptAt, message.CreatedAt) = (null, now, now);
        audit.Record("outbox.replayed", "outbox_message", id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new { recipient = message.RecipientKey, message.MessageId });
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(new OutboxMessageResponse(message.Id, message.MessageId, message.RecipientKey, message.EventType, MessageState.Retrying,
            message.Attempts, message.CreatedAt, message.NextAttemptAt, message.LastAttemptAt, message.LastStatusCode, message.LastError, null, null));
    }

    private static ProblemHttpResult NoEndpoint(string recipient) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "The recipient has no webhook endpoint.");

    private static WebhookEndpointResponse Response(WebhookEndpoint e) => Response(e, null);

    private static WebhookEndpointResponse Response(WebhookEndpoint e, DateTimeOffset? now) => new(
        e.RecipientKey, e.Url, e.DisabledAt is null, e.DisabledAt, e.DisabledReason, e.CreatedAt, e.UpdatedAt,
        [.. e.Secrets.Where(s => now is null || s.ExpiresAt is null || s.ExpiresAt > now).OrderBy(s => s.Id)
            .Select(s => new WebhookSecretInfo(s.Id, s.CreatedAt, s.ExpiresAt))]);
}
