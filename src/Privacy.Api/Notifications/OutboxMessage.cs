using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Registry;

namespace Privacy.Api.Notifications;

/// <summary>
/// A notification to one recipient, written in the same transaction as the change that causes it
/// (transactional outbox). The notifier relay (a later feature) delivers it; until then it waits here.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>Stable id of the message for the receiver (the Standard Webhooks <c>webhook-id</c>).</summary>
    public Guid MessageId { get; set; }

    public required string RecipientKey { get; set; }

    /// <summary>What happened, e.g. <c>consent.withdrawn</c>.</summary>
    public required string EventType { get; set; }

    /// <summary>The JSON body sent to the recipient; it names the subject as the recipient knows it.</summary>
    public required string Payload { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? DeliveredAt { get; set; }

    public int Attempts { get; set; }
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
        builder.HasOne<Recipient>().WithMany().HasForeignKey(m => m.RecipientKey).OnDelete(DeleteBehavior.Restrict);
        // The relay's queue: undelivered messages per recipient, in order.
        builder.HasIndex(m => new { m.RecipientKey, m.Id }).HasFilter("delivered_at IS NULL").HasDatabaseName("ix_outbox_messages_pending");
    }
}

/// <summary>Adds notifications to the caller's unit of work; they commit with the change or not at all.</summary>
public sealed class Outbox(Platform.Database.PrivacyDbContext db, TimeProvider time)
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web);

    public void Enqueue(string recipient, string eventType, object payload)
    {
        var now = time.GetUtcNow();
        db.Add(new OutboxMessage
        {
            MessageId = Guid.CreateVersion7(now),
            RecipientKey = recipient,
            EventType = eventType,
            Payload = System.Text.Json.JsonSerializer.Serialize(payload, Json),
            CreatedAt = now,
        });
    }
}
