using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>
/// A key ops created at run time. Only its SHA-256 is kept: the key itself was shown once, to its creator. Never deleted,
/// so an id (the actor in the audit log) is never reused, even after revocation.
/// </summary>
public sealed class StoredApiKey
{
    public required string Id { get; set; }

    /// <summary>Lower-case hex SHA-256 of the key (<see cref="ApiKeyAuthentication.Hash"/>).</summary>
    public required string Hash { get; set; }

    public required string Role { get; set; }

    /// <summary>For a partner key: the registry recipient whose data it may see.</summary>
    public string? Recipient { get; set; }

    /// <summary>For a system key: the internal system it speaks for.</summary>
    public string? System { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Id of the key that created it.</summary>
    public required string CreatedBy { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}

/// <summary>
/// A revocation or expiry ops set at run time on a configured key. Keyed by the configured key's hash, not its id: it ends that
/// one secret, on every replica, and a replacement configured under the same id (a new hash) is not affected.
/// </summary>
public sealed class ConfiguredKeyRestriction
{
    public required string Hash { get; set; }

    public required string KeyId { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }
}

/// <summary>When a key (configured or stored, by id) was last used, to the minute; written in batches by each replica.</summary>
public sealed class ApiKeyLastUse
{
    public required string KeyId { get; set; }

    public DateTimeOffset LastUsedAt { get; set; }
}

internal sealed class StoredApiKeyConfiguration : IEntityTypeConfiguration<StoredApiKey>
{
    public void Configure(EntityTypeBuilder<StoredApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasMaxLength(64);
        builder.Property(k => k.Hash).HasMaxLength(64).IsFixedLength();
        builder.HasIndex(k => k.Hash).IsUnique();
        builder.Property(k => k.Role).HasMaxLength(32);
        builder.Property(k => k.Recipient).HasMaxLength(100);
        builder.Property(k => k.System).HasMaxLength(100);
        builder.Property(k => k.CreatedBy).HasMaxLength(64);
        builder.Property(k => k.RevokedBy).HasMaxLength(64);
    }
}

internal sealed class ConfiguredKeyRestrictionConfiguration : IEntityTypeConfiguration<ConfiguredKeyRestriction>
{
    public void Configure(EntityTypeBuilder<ConfiguredKeyRestriction> builder)
    {
        builder.ToTable("configured_api_key_restrictions");
        builder.HasKey(r => r.Hash);
        builder.Property(r => r.Hash).HasMaxLength(64).IsFixedLength();
        builder.Property(r => r.KeyId).HasMaxLength(64);
        builder.Property(r => r.RevokedBy).HasMaxLength(64);
    }
}

internal sealed class ApiKeyLastUseConfiguration : IEntityTypeConfiguration<ApiKeyLastUse>
{
    public void Configure(EntityTypeBuilder<ApiKeyLastUse> builder)
    {
        builder.ToTable("api_key_last_use");
        builder.HasKey(u => u.KeyId);
        builder.Property(u => u.KeyId).HasMaxLength(64);
    }
}
