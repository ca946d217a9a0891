using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Notifications;

/// <summary>
/// A notification to one recipient, written in the same transaction as the change that causes it
/// (transactional outbox). The <see cref="OutboxRelay"/> delivers it to the recipient's webhook endpoint.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>Stable id of the message for the receiver (the Standard Webhooks <c>webhook-id</c>), the same on every attempt.</summary>
    public Guid MessageId { get; set; }

    /// <summary>The party it goes to: a registry recipient or internal system.</summary>
    public required string RecipientKey { get; set; }

    /// <summary>What happened, e.g. <c>follow_up.erase</c>.</summary>
    public required string EventType { get; set; }

    /// <summary>The JSON body sent to the recipient; it names the subject as the recipient knows it.</summary>
    public required string Payload { get; set; }

    /// <summary>Messages with the same key (the subject) reach the recipient in order: none before an earlier one is delivered.</summary>
    public string? OrderingKey { get; set; }

    /// <summary>
    /// The message written just before this one for the same recipient and key (set by a trigger, under a lock per key):
    /// this one waits while that one is neither delivered nor dead-lettered. A primary-key probe, whatever the backlog.
    /// </summary>
    public long? PreviousId { get; set; }

    /// <summary>Position in the chain of its recipient and key (set by the same trigger).</summary>
    public long? ChainPosition { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Not attempted before this time (the persistent retry schedule).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Delivery attempts so far (each may have made several requests: the immediate retries); the schedule's position.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? LastAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    /// <summary>Why the last attempt failed (status or error kind; never the receiver's body).</summary>
    public string? LastError { get; set; }

    /// <summary>The relay that holds the message, until <see cref="ClaimedUntil"/>; after that any relay may take it.</summary>
    public Guid? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimedUntil { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Given up after the retry horizon; ops can replay it.</summary>
    public DateTimeOffset? DeadLetteredAt { get; set; }
}

internal sealed class OutboxMessageConfiguration : IEntityTypeConfiguration<OutboxMessage>
{
    public void Configure(EntityTypeBuilder<OutboxMessage> builder)
    {
        builder.ToTable("outbox_messages");
        builder.HasKey(m => m.Id);
        builder.Property(m => m.Id).UseIdentityAlwaysColumn();
        builder.HasIndex(m => m.MessageId).IsUnique();
        builder.Property(m => m.EventType).HasMaxLength(100);
        builder.Property(m => m.Payload).HasColumnType("jsonb");
        builder.Property(m => m.OrderingKey).HasMaxLength(100);
        builder.Property(m => m.LastError).HasMaxLength(500);
        // The key names a recipient or an internal system (e.g. the e-mail system that writes to requesters): no foreign key.
        // The relay's queue: messages still to deliver, in order; and each chain's tail, for the trigger that links a new message.
        builder.HasIndex(m => m.Id).HasFilter("delivered_at IS NULL AND dead_lettered_at IS NULL").HasDatabaseName("ix_outbox_messages_pending");
        builder.HasIndex(m => new { m.RecipientKey, m.OrderingKey, m.ChainPosition }).HasDatabaseName("ix_outbox_messages_chain");
        builder.HasIndex(m => new { m.RecipientKey, m.Id }).HasDatabaseName("ix_outbox_messages_recipient");
        builder.HasIndex(m => m.DeliveredAt).HasFilter("delivered_at IS NOT NULL").HasDatabaseName("ix_outbox_messages_delivered"); // retention
        // The dead letters ops count (metrics, dashboard): few, among every delivered message kept until retention ends.
        builder.HasIndex(m => m.DeadLetteredAt).HasFilter("dead_lettered_at IS NOT NULL").HasDatabaseName("ix_outbox_messages_dead_lettered");
    }
}

/// <summary>Adds notifications to the caller's unit of work; they commit with the change or not at all.</summary>
public sealed class Outbox(PrivacyDbContext db, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = CreateJson();

    /// <summary>
    /// Queues <paramref name="data"/> for <paramref name="recipient"/> as a Standard Webhooks event
    /// (<c>{"type", "timestamp", "data"}</c>). Only <see cref="Disclosures.EgressGate"/> calls it: everything queued here leaves
    /// the service, so it is built from the gate's release for that party (an architecture test keeps it so).
    /// </summary>
    internal void Enqueue(string recipient, string eventType, object data, string? orderingKey, Guid? messageId = null)
    {
        var now = time.GetUtcNow();
        db.Add(new OutboxMessage
        {
            MessageId = messageId ?? Guid.CreateVersion7(now),
            RecipientKey = recipient,
            EventType = eventType,
            Payload = JsonSerializer.Serialize(new { type = eventType, timestamp = now, data }, Json),
            OrderingKey = orderingKey,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        return options;
    }
}
