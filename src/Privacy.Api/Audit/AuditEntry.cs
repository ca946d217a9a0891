using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Privacy.Api.Audit;

/// <summary>
/// One change, written in the transaction of the change itself. Writers leave the seal empty; the
/// <see cref="AuditSealer"/> later gives committed entries their chain position and seal. Rows are
/// never updated otherwise nor deleted (a database trigger refuses it).
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>Id of the API key (or "privacy-service"), never the key or a person's data.</summary>
    public required string ActorKeyId { get; set; }

    public required string ActorRole { get; set; }

    /// <summary>What happened, e.g. <c>registry.category.created</c>.</summary>
    public required string Action { get; set; }

    public required string EntityType { get; set; }

    public required string EntityId { get; set; }

    /// <summary>Non-personal details of the change as JSON (e.g. the fields that changed).</summary>
    public string? Details { get; set; }

    /// <summary>1, 2, 3… in sealing order; null until sealed.</summary>
    public long? ChainPosition { get; set; }

    /// <summary>Seal of the entry at the previous chain position (64 zeros for the first).</summary>
    public string? PreviousSeal { get; set; }

    /// <summary>Hex SHA-256 over this entry's content and <see cref="PreviousSeal"/>.</summary>
    public string? Seal { get; set; }

    public DateTimeOffset? SealedAt { get; set; }
}

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.Property(e => e.ActorKeyId).HasMaxLength(64);
        builder.Property(e => e.ActorRole).HasMaxLength(32);
        builder.Property(e => e.Action).HasMaxLength(100);
        builder.Property(e => e.EntityType).HasMaxLength(100);
        builder.Property(e => e.EntityId).HasMaxLength(200);
        builder.Property(e => e.Details).HasColumnType("jsonb");
        builder.Property(e => e.PreviousSeal).HasMaxLength(64).IsFixedLength();
        builder.Property(e => e.Seal).HasMaxLength(64).IsFixedLength();
        builder.HasIndex(e => e.ChainPosition).IsUnique();
        // The sealer's queue: entries still waiting for a seal.
        builder.HasIndex(e => e.Id).HasFilter("chain_position IS NULL").HasDatabaseName("ix_audit_entries_unsealed");
        builder.HasIndex(e => new { e.EntityType, e.EntityId });
    }
}
