using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Registry;

namespace Privacy.Api.Retention;

/// <summary>What starts a retention clock.</summary>
public enum RetentionTrigger
{
    /// <summary>When the data was collected (the latest <c>collected</c> clock event; a stored row's creation).</summary>
    Collected = 1,

    /// <summary>The subject's last activity (the latest <c>last_activity</c> clock event).</summary>
    LastActivity,

    /// <summary>The customer relationship ended (<c>relationship_ended</c>; a later <c>last_activity</c> means it resumed).</summary>
    RelationshipEnded,

    /// <summary>The case the data belongs to was closed (<c>case_closed</c>; a rights request closed, a message delivered).</summary>
    Completed,

    /// <summary>The end of the calendar year of the last transaction (<c>transaction</c>): Bokföringslagen 7 kap. 2 §.</summary>
    EndOfTransactionYear,

    /// <summary>The subject withdrew the consent the purpose rests on (Art 7(3)).</summary>
    ConsentWithdrawn,

    /// <summary>The consent ended: withdrawn, superseded by a later decision, or expired.</summary>
    ConsentEnded,
}

/// <summary>What happens to the data when the period has run.</summary>
public enum RetentionAction
{
    /// <summary>Erase the data when its period ends.</summary>
    Erase = 1,

    /// <summary>Anonymise the data when its period ends, keeping what no longer identifies the subject.</summary>
    Anonymise,
}

/// <summary>Events internal systems report about a subject; each starts the clocks of the rules that wait for it.</summary>
public enum ClockEventKind
{
    /// <summary>Data about the customer was collected (starts `collected` rules).</summary>
    Collected = 1,

    /// <summary>The customer was last active (starts `last_activity` rules; a later one than `relationship_ended` means the relationship resumed).</summary>
    LastActivity,

    /// <summary>The customer relationship ended (starts `relationship_ended` rules).</summary>
    RelationshipEnded,

    /// <summary>A case the customer's data belongs to was closed (starts `completed` rules).</summary>
    CaseClosed,

    /// <summary>A transaction with the customer; the end of its calendar year starts `end_of_transaction_year` rules (Bokföringslagen).</summary>
    Transaction,
}

/// <summary>
/// How long one category of data is kept for one purpose: the period, what starts it, what happens at its end, the legal
/// reference and a plain-language note. Edited by ops; every change audited.
/// </summary>
public sealed class RetentionRule
{
    public required string PurposeKey { get; set; }

    public required string CategoryKey { get; set; }

    /// <summary>ISO 8601 duration, e.g. <c>P7Y</c>.</summary>
    public required string Period { get; set; }

    public RetentionTrigger Trigger { get; set; }

    public RetentionAction Action { get; set; }

    public string? LegalReference { get; set; }

    public required string Note { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string UpdatedBy { get; set; }

    /// <summary>Removed by ops: the category is kept for the purpose (a gap). The row stays so the seed never brings it back.</summary>
    public DateTimeOffset? RemovedAt { get; set; }
}

/// <summary>The latest event of one kind reported for a customer: the start of the clocks waiting for it.</summary>
public sealed class SubjectClock
{
    public required string CustomerNumber { get; set; }

    public ClockEventKind Kind { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    public required string ReportedBy { get; set; }

    public DateTimeOffset ReportedAt { get; set; }
}

/// <summary>
/// A customer the sweep must look at no earlier than <see cref="NextDueAt"/> (a lower bound of the next end of a period;
/// null: nothing is scheduled until a new clock event, consent decision or rule change).
/// </summary>
public sealed class RetentionSubject
{
    public required string CustomerNumber { get; set; }

    public DateTimeOffset? NextDueAt { get; set; }

    public DateTimeOffset? EvaluatedAt { get; set; }
}

/// <summary>A legal hold: the subject's data (or one category of it) is not swept while the hold lasts (e.g. a dispute).</summary>
public sealed class LegalHold
{
    public long Id { get; set; }

    public required string CustomerNumber { get; set; }

    /// <summary>Null: every category of the subject.</summary>
    public string? CategoryKey { get; set; }

    public required string Reason { get; set; }

    public DateTimeOffset PlacedAt { get; set; }

    public required string PlacedBy { get; set; }

    /// <summary>Null: until released.</summary>
    public DateTimeOffset? EndsAt { get; set; }

    public DateTimeOffset? ReleasedAt { get; set; }

    public string? ReleasedBy { get; set; }

    /// <summary>Why ops released it (free text: kept here, with the hold, not in the audit chain).</summary>
    public string? ReleaseReason { get; set; }

    public bool ActiveAt(DateTimeOffset at) => PlacedAt <= at && ReleasedAt is null && (EndsAt is null || EndsAt > at);
}

/// <summary>A subject's category whose period ended and was swept: once per end date (a resumed relationship gives a new one).</summary>
public sealed class RetentionItem
{
    public long Id { get; set; }

    public required string CustomerNumber { get; set; }

    public required string CategoryKey { get; set; }

    /// <summary>When the last rule holding the category ended.</summary>
    public DateTimeOffset DueAt { get; set; }

    public RetentionAction Action { get; set; }

    /// <summary>The rights request (channel retention) whose tasks carry the work to systems and recipients.</summary>
    public Guid RequestId { get; set; }

    public DateTimeOffset SweptAt { get; set; }

    public required string SweptBy { get; set; }
}

internal sealed class RetentionRuleConfiguration : IEntityTypeConfiguration<RetentionRule>
{
    public void Configure(EntityTypeBuilder<RetentionRule> builder)
    {
        builder.ToTable("retention_rules");
        builder.HasKey(r => new { r.PurposeKey, r.CategoryKey });
        builder.HasOne<Purpose>().WithMany().HasForeignKey(r => r.PurposeKey).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<DataCategory>().WithMany().HasForeignKey(r => r.CategoryKey).OnDelete(DeleteBehavior.Restrict);
        builder.Property(r => r.Period).HasMaxLength(40);
        builder.Property(r => r.Trigger).HasConversion<string>().HasMaxLength(32);
        builder.Property(r => r.Action).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.LegalReference).HasMaxLength(300);
        builder.Property(r => r.Note).HasMaxLength(2000);
        builder.Property(r => r.UpdatedBy).HasMaxLength(64);
        builder.HasQueryFilter(r => r.RemovedAt == null);
    }
}

internal sealed class SubjectClockConfiguration : IEntityTypeConfiguration<SubjectClock>
{
    public void Configure(EntityTypeBuilder<SubjectClock> builder)
    {
        builder.ToTable("retention_clocks");
        builder.HasKey(c => new { c.CustomerNumber, c.Kind });
        builder.Property(c => c.CustomerNumber).HasMaxLength(64);
        builder.Property(c => c.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(c => c.ReportedBy).HasMaxLength(100);
    }
}

internal sealed class RetentionSubjectConfiguration : IEntityTypeConfiguration<RetentionSubject>
{
    public void Configure(EntityTypeBuilder<RetentionSubject> builder)
    {
        builder.ToTable("retention_subjects");
        builder.HasKey(s => s.CustomerNumber);
        builder.Property(s => s.CustomerNumber).HasMaxLength(64);
        builder.HasIndex(s => s.NextDueAt).HasFilter("next_due_at IS NOT NULL");
    }
}

internal sealed class LegalHoldConfiguration : IEntityTypeConfiguration<LegalHold>
{
    public void Configure(EntityTypeBuilder<LegalHold> builder)
    {
        builder.ToTable("legal_holds");
        builder.HasKey(h => h.Id);
        builder.Property(h => h.Id).UseIdentityAlwaysColumn();
        builder.Property(h => h.CustomerNumber).HasMaxLength(64);
        builder.HasOne<DataCategory>().WithMany().HasForeignKey(h => h.CategoryKey).OnDelete(DeleteBehavior.Restrict);
        builder.Property(h => h.Reason).HasMaxLength(1000);
        builder.Property(h => h.PlacedBy).HasMaxLength(64);
        builder.Property(h => h.ReleasedBy).HasMaxLength(64);
        builder.Property(h => h.ReleaseReason).HasMaxLength(1000);
        builder.HasIndex(h => h.CustomerNumber);
    }
}

internal sealed class RetentionItemConfiguration : IEntityTypeConfiguration<RetentionItem>
{
    public void Configure(EntityTypeBuilder<RetentionItem> builder)
    {
        builder.ToTable("retention_items");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).UseIdentityAlwaysColumn();
        builder.Property(i => i.CustomerNumber).HasMaxLength(64);
        builder.Property(i => i.CategoryKey).HasMaxLength(100);
        builder.Property(i => i.Action).HasConversion<string>().HasMaxLength(16);
        builder.Property(i => i.SweptBy).HasMaxLength(100);
        // Belt and braces under the sweep's row locks: a category's end is swept once.
        builder.HasIndex(i => new { i.CustomerNumber, i.CategoryKey, i.DueAt }).IsUnique();
    }
}
