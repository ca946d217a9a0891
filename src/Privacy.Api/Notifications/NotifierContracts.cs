using FluentValidation;

namespace Privacy.Api.Notifications;

/// <summary>Where the recipient receives its webhooks: an https URL on the public internet.</summary>
public sealed record SetWebhookEndpointRequest(string? Url);

/// <summary>A recipient's endpoint. Secrets are listed by id and validity only: their value is shown once, when created.</summary>
public sealed record WebhookEndpointResponse(
    string Recipient, string Url, bool Enabled, DateTimeOffset? DisabledAt, string? DisabledReason, DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt, IReadOnlyList<WebhookSecretInfo> Secrets);

public sealed record WebhookSecretInfo(long Id, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

/// <summary>A new signing secret. Give it to the recipient now: it is never shown again.</summary>
public sealed record WebhookSecretCreated(long Id, string Secret, WebhookEndpointResponse Endpoint);

/// <summary>Rotate the signing secret; the current ones keep signing for <c>overlapHours</c> (default 24, 0 ends them now).</summary>
public sealed record RotateWebhookSecretRequest(int? OverlapHours);

/// <summary>Where a message stands.</summary>
public enum MessageState
{
    /// <summary>Waiting for its first attempt (or for the recipient to have an enabled endpoint).</summary>
    Pending = 1,

    /// <summary>Attempted and failed; the next attempt is scheduled.</summary>
    Retrying,

    /// <summary>The recipient's endpoint accepted it (2xx).</summary>
    Delivered,

    /// <summary>Given up after the retry horizon; replay it once the recipient is fixed.</summary>
    DeadLettered,
}

/// <summary>A message as ops see it (its body names a customer and is not shown; the follow-up is under /follow-ups).</summary>
public sealed record OutboxMessageResponse(
    long Id, Guid MessageId, string Recipient, string EventType, MessageState State, int Attempts, DateTimeOffset CreatedAt,
    DateTimeOffset NextAttemptAt, DateTimeOffset? LastAttemptAt, int? LastStatusCode, string? LastError, DateTimeOffset? DeliveredAt,
    DateTimeOffset? DeadLetteredAt);

public sealed record OutboxMessagePage(IReadOnlyList<OutboxMessageResponse> Items, long? Next);

/// <summary>The relay per recipient: backlog, failures, dead letters and lag (seconds the oldest due message has waited).</summary>
public sealed record RecipientDeliveryStatus(
    string Recipient, string? Url, bool Enabled, string? DisabledReason, int Pending, int Retrying, int DeadLettered,
    DateTimeOffset? OldestPendingAt, double LagSeconds, DateTimeOffset? LastDeliveredAt, string? LastError);

public sealed record NotifierStatus(double LagSeconds, int Pending, int DeadLettered, IReadOnlyList<RecipientDeliveryStatus> Recipients);

internal sealed class SetWebhookEndpointRequestValidator : AbstractValidator<SetWebhookEndpointRequest>
{
    public SetWebhookEndpointRequestValidator(Microsoft.Extensions.Options.IOptions<NotifierOptions> options)
    {
        RuleFor(r => r.Url).NotEmpty().MaximumLength(2000);
        RuleFor(r => r.Url).Custom((url, context) =>
        {
            if (!string.IsNullOrEmpty(url) && EndpointGuard.CheckShape(url, options.Value) is { } problem)
            {
                context.AddFailure("url", problem);
            }
        });
    }
}

internal sealed class RotateWebhookSecretRequestValidator : AbstractValidator<RotateWebhookSecretRequest>
{
    public RotateWebhookSecretRequestValidator() =>
        RuleFor(r => r.OverlapHours).InclusiveBetween(0, 168).WithMessage("'overlapHours' must be 0 to 168 (one week).");
}
