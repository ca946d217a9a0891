using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Registry;

namespace Privacy.Api.Notifications;

/// <summary>What a recipient must do with the data it was given (Art 19, Art 7(3)).</summary>
public enum FollowUpAction
{
    /// <summary>Correct or complete the data (Art 16): <c>corrections</c> holds the new values.</summary>
    Rectify = 1,

    /// <summary>Erase the data (Art 17).</summary>
    Erase,

    /// <summary>Anonymise the data so it no longer identifies the subject (avidentifiering).</summary>
    Anonymise,

    /// <summary>Keep the data but stop processing it (Art 18).</summary>
    Restrict,

    /// <summary>The subject withdrew the consent the disclosure relied on: stop processing for those purposes.</summary>
    ConsentWithdrawn,
}

/// <summary>Where a follow-up stands, as the recipient reported it.</summary>
public enum FollowUpStatus
{
    /// <summary>Not acknowledged yet.</summary>
    Pending = 1,

    /// <summary>The recipient reports it has done what was asked; final.</summary>
    Done,

    /// <summary>The recipient could not do it; <c>acknowledgementReason</c> says why.</summary>
    Failed,
}

/// <summary>
/// One follow-up addressed to one recipient about one customer. Part of the recipient's stream (the partner
/// feed, in <see cref="TransactionId"/> order with the disclosures) and, through the outbox, its webhook.
/// </summary>
public sealed class FollowUp
{
    public long Id { get; set; }

    public ulong TransactionId { get; set; }

    /// <summary>The id the recipient sees in the webhook (<c>webhook-id</c>) and the feed, for deduplication.</summary>
    public Guid MessageId { get; set; }

    public required string RecipientKey { get; set; }

    public FollowUpAction Action { get; set; }

    public required string CustomerNumber { get; set; }

    /// <summary>The categories concerned: those the recipient was given.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>For a withdrawn consent: the purposes the recipient may no longer process for.</summary>
    public List<string> Purposes { get; set; } = [];

    /// <summary>For rectification: registry category → new value (JSON object), only of categories the recipient was given.</summary>
    public string? Corrections { get; set; }

    public string? Reason { get; set; }

    /// <summary>What caused it (a rights request, a consent receipt, an ops case), for matching.</summary>
    public string? Reference { get; set; }

    public required string RequestedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public FollowUpStatus Status { get; set; } = FollowUpStatus.Pending;

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgedBy { get; set; }

    public string? AcknowledgementReason { get; set; }
}

internal sealed class FollowUpConfiguration : IEntityTypeConfiguration<FollowUp>
{
    public void Configure(EntityTypeBuilder<FollowUp> builder)
    {
        builder.ToTable("follow_ups");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Id).UseIdentityAlwaysColumn();
        builder.Property(f => f.TransactionId).HasColumnType("xid8").HasDefaultValueSql("pg_current_xact_id()").ValueGeneratedOnAdd();
        builder.HasIndex(f => f.MessageId).IsUnique();
        builder.Property(f => f.Action).HasConversion<string>().HasMaxLength(32);
        builder.Property(f => f.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(f => f.CustomerNumber).HasMaxLength(64);
        builder.Property(f => f.Corrections).HasColumnType("jsonb");
        builder.Property(f => f.Reason).HasMaxLength(1000);
        builder.Property(f => f.Reference).HasMaxLength(200);
        builder.Property(f => f.RequestedBy).HasMaxLength(64);
        builder.Property(f => f.AcknowledgedBy).HasMaxLength(64);
        builder.Property(f => f.AcknowledgementReason).HasMaxLength(1000);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(f => f.RecipientKey).OnDelete(DeleteBehavior.Restrict);
        // The partner feed: one recipient's stream in (transaction, id) order.
        builder.HasIndex(f => new { f.RecipientKey, f.TransactionId, f.Id }).HasDatabaseName("ix_follow_ups_feed");
        builder.HasIndex(f => new { f.CustomerNumber, f.Id });
        builder.HasIndex(f => new { f.RecipientKey, f.Status, f.Id });
    }
}
