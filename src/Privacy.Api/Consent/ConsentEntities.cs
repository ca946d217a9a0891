using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Registry;

namespace Privacy.Api.Consent;

/// <summary>A published version of the privacy policy, in Swedish and English.</summary>
public sealed class PolicyVersion
{
    /// <summary>Version label, e.g. <c>2022-02-08</c>.</summary>
    public required string Version { get; set; }

    /// <summary>From when this version is the current one.</summary>
    public DateTimeOffset EffectiveFrom { get; set; }

    /// <summary>A material change: consents given under earlier versions must be asked again.</summary>
    public bool Material { get; set; }

    public string? Summary { get; set; }

    public required string TextSv { get; set; }

    public required string TextEn { get; set; }

    /// <summary>Hex SHA-256 of the UTF-8 Swedish text: the notice hash of a banner that showed it.</summary>
    public required string TextSvSha256 { get; set; }

    public required string TextEnSha256 { get; set; }

    public DateTimeOffset PublishedAt { get; set; }

    public required string PublishedBy { get; set; }
}

/// <summary>Whose consent: a customer (customer number) or an anonymous visitor (opaque id from the cookie).</summary>
public enum SubjectType
{
    /// <summary>A customer, by customer number.</summary>
    Customer = 1,

    /// <summary>An anonymous website visitor, by the opaque id in the consent cookie.</summary>
    Visitor,
}

public enum ConsentEventKind
{
    /// <summary>The person chose per purpose (banner, settings, signup form, e-mail link).</summary>
    Decision = 1,

    /// <summary>The person withdrew one purpose or all (Art 7(3)).</summary>
    Withdrawal,
}

/// <summary>Where the person made the decision.</summary>
public enum ConsentChannel
{
    /// <summary>The cookie and consent banner on the website.</summary>
    Banner = 1,

    /// <summary>The privacy settings page of the website or the customer account.</summary>
    SettingsPage,

    /// <summary>A form where the person signed up (account, newsletter).</summary>
    SignupForm,

    /// <summary>A link in an e-mail (e.g. unsubscribe).</summary>
    EmailLink,

    /// <summary>Recorded by staff on the person's behalf (e.g. a request by phone or letter).</summary>
    Ops,

    /// <summary>A rights request: an objection to a purpose that rests on consent, which works as its withdrawal (Art 7(3), 21(3)).</summary>
    RightsRequest,

    /// <summary>
    /// The newsletter's one-click unsubscribe (RFC 8058): the mail client posted the signed link of the List-Unsubscribe header.
    /// The service's own, like <see cref="RightsRequest"/>: only that link records it, and only withdrawals.
    /// </summary>
    OneClickUnsubscribe,
}

/// <summary>
/// One consent decision or withdrawal: append-only, never updated (a database trigger refuses it).
/// Its choices hold the per-purpose outcome; its proof holds the IP address and user agent.
/// </summary>
public sealed class ConsentEvent
{
    /// <summary>Time-ordered id (UUID v7), made by the service so one round trip writes the event and its rows; also the receipt id.</summary>
    public Guid Id { get; set; }

    public SubjectType SubjectType { get; set; }

    public required string SubjectId { get; set; }

    public ConsentEventKind Kind { get; set; }

    public required string PolicyVersion { get; set; }

    public ConsentChannel Channel { get; set; }

    /// <summary>Identifier of the notice text shown (e.g. <c>banner-v3-sv</c>).</summary>
    public string? NoticeId { get; set; }

    /// <summary>Hex SHA-256 of the exact notice text shown (none for a withdrawal without a notice).</summary>
    public string? NoticeHash { get; set; }

    /// <summary>Language the notice was shown in (sv, en).</summary>
    public required string Language { get; set; }

    /// <summary>A Global Privacy Control signal came with the decision.</summary>
    public bool Gpc { get; set; }

    /// <summary>Where the signal came from: <c>header</c> (Sec-GPC: 1), <c>flag</c> (set by the frontend) or both.</summary>
    public string? GpcSource { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>API key id of the caller that recorded it.</summary>
    public required string RecordedBy { get; set; }

    public List<ConsentChoice> Choices { get; set; } = [];

    public ConsentProof? Proof { get; set; }
}

/// <summary>The outcome for one purpose in one event. Subject and time are repeated so the state query is one index scan.</summary>
public sealed class ConsentChoice
{
    public Guid EventId { get; set; }

    /// <summary>Insertion order (identity): breaks ties between events of the same instant, last written wins.</summary>
    public long Sequence { get; set; }

    public required string PurposeKey { get; set; }

    /// <summary>What is in force after this event.</summary>
    public bool Granted { get; set; }

    /// <summary>What the person chose; differs from <see cref="Granted"/> when GPC denied a sale/sharing-like purpose.</summary>
    public bool Requested { get; set; }

    public SubjectType SubjectType { get; set; }

    public required string SubjectId { get; set; }

    public DateTimeOffset OccurredAt { get; set; }
}

/// <summary>
/// The personal data in the proof, kept apart so retention can erase it after its own period (the clear
/// values are nulled) while the keyed hashes keep the event provable.
/// </summary>
public sealed class ConsentProof
{
    public Guid EventId { get; set; }

    public IPAddress? IpAddress { get; set; }

    public string? UserAgent { get; set; }

    /// <summary>HMAC-SHA256 of the IP address under the service's proof key (hex).</summary>
    public string? IpAddressHash { get; set; }

    public string? UserAgentHash { get; set; }

    /// <summary>The id of the data key the hashes were made with (<see cref="Platform.Keys.DataKeyUse.ProofHashing"/>).</summary>
    public string? KeyId { get; set; }

    public DateTimeOffset? ErasedAt { get; set; }

    /// <summary>The keyed hash of an IP address in a proof (hex HMAC-SHA256 of its bytes).</summary>
    public static string Hash(Platform.Keys.DataKey key, IPAddress address) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(key.Material, address.GetAddressBytes()));

    /// <summary>The keyed hash of a user agent in a proof (hex HMAC-SHA256 of its UTF-8 bytes).</summary>
    public static string Hash(Platform.Keys.DataKey key, string userAgent) =>
        Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(key.Material, System.Text.Encoding.UTF8.GetBytes(userAgent)));
}

/// <summary>A notice text shown to people, stored once per hash.</summary>
public sealed class ConsentNotice
{
    public required string Hash { get; set; }

    public string? NoticeId { get; set; }

    public string? Text { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }
}

/// <summary>An anonymous visitor who logged in as a customer: the customer's consent includes the visitor's events.</summary>
public sealed class SubjectLink
{
    public required string VisitorId { get; set; }

    public required string CustomerNumber { get; set; }

    public DateTimeOffset LinkedAt { get; set; }

    public required string LinkedBy { get; set; }
}

internal sealed class PolicyVersionConfiguration : IEntityTypeConfiguration<PolicyVersion>
{
    public void Configure(EntityTypeBuilder<PolicyVersion> builder)
    {
        builder.ToTable("policy_versions");
        builder.HasKey(v => v.Version);
        builder.Property(v => v.Version).HasMaxLength(32);
        builder.Property(v => v.Summary).HasMaxLength(2000);
        builder.Property(v => v.TextSvSha256).HasMaxLength(64).IsFixedLength();
        builder.Property(v => v.TextEnSha256).HasMaxLength(64).IsFixedLength();
        builder.Property(v => v.PublishedBy).HasMaxLength(64);
        builder.HasIndex(v => v.EffectiveFrom).IsUnique();
    }
}

internal sealed class ConsentEventConfiguration : IEntityTypeConfiguration<ConsentEvent>
{
    public void Configure(EntityTypeBuilder<ConsentEvent> builder)
    {
        builder.ToTable("consent_events");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).ValueGeneratedNever();
        builder.Property(e => e.SubjectType).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.SubjectId).HasMaxLength(64);
        builder.Property(e => e.Kind).HasConversion<string>().HasMaxLength(16);
        builder.Property(e => e.Channel).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.NoticeId).HasMaxLength(200);
        builder.Property(e => e.NoticeHash).HasMaxLength(64).IsFixedLength();
        builder.Property(e => e.Language).HasMaxLength(8);
        builder.Property(e => e.GpcSource).HasMaxLength(16);
        builder.Property(e => e.RecordedBy).HasMaxLength(64);
        builder.HasOne<PolicyVersion>().WithMany().HasForeignKey(e => e.PolicyVersion).OnDelete(DeleteBehavior.Restrict);
        builder.HasMany(e => e.Choices).WithOne().HasForeignKey(c => c.EventId).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne(e => e.Proof).WithOne().HasForeignKey<ConsentProof>(p => p.EventId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(e => new { e.SubjectType, e.SubjectId, e.OccurredAt });
        // The auditors' export reads the whole log in this order, batch by batch (keyset).
        builder.HasIndex(e => new { e.OccurredAt, e.Id }).HasDatabaseName("ix_consent_events_log_order");
    }
}

internal sealed class ConsentChoiceConfiguration : IEntityTypeConfiguration<ConsentChoice>
{
    public void Configure(EntityTypeBuilder<ConsentChoice> builder)
    {
        builder.ToTable("consent_choices");
        builder.HasKey(c => new { c.EventId, c.PurposeKey });
        builder.Property(c => c.Sequence).UseIdentityAlwaysColumn();
        builder.Property(c => c.SubjectType).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.SubjectId).HasMaxLength(64);
        builder.HasOne<Purpose>().WithMany().HasForeignKey(c => c.PurposeKey).OnDelete(DeleteBehavior.Restrict);
        // The hot path: the latest choice per purpose for a subject is the first entry of each purpose here.
        builder.HasIndex(c => new { c.SubjectType, c.SubjectId, c.PurposeKey, c.OccurredAt, c.Sequence })
            .IsDescending(false, false, false, true, true)
            .IncludeProperties(c => new { c.Granted, c.EventId })
            .HasDatabaseName("ix_consent_choices_state");
    }
}

internal sealed class ConsentProofConfiguration : IEntityTypeConfiguration<ConsentProof>
{
    public void Configure(EntityTypeBuilder<ConsentProof> builder)
    {
        builder.ToTable("consent_proofs");
        builder.HasKey(p => p.EventId);
        builder.Property(p => p.UserAgent).HasMaxLength(1000);
        builder.Property(p => p.IpAddressHash).HasMaxLength(64).IsFixedLength();
        builder.Property(p => p.UserAgentHash).HasMaxLength(64).IsFixedLength();
        builder.Property(p => p.KeyId).HasMaxLength(32);
        // The retention sweep walks the proofs that still hold clear values, oldest event first.
        builder.HasIndex(p => p.EventId).HasFilter("ip_address IS NOT NULL OR user_agent IS NOT NULL").HasDatabaseName("ix_consent_proofs_unerased");
    }
}

internal sealed class ConsentNoticeConfiguration : IEntityTypeConfiguration<ConsentNotice>
{
    public void Configure(EntityTypeBuilder<ConsentNotice> builder)
    {
        builder.ToTable("consent_notices");
        builder.HasKey(n => n.Hash);
        builder.Property(n => n.Hash).HasMaxLength(64).IsFixedLength();
        builder.Property(n => n.NoticeId).HasMaxLength(200);
    }
}

internal sealed class SubjectLinkConfiguration : IEntityTypeConfiguration<SubjectLink>
{
    public void Configure(EntityTypeBuilder<SubjectLink> builder)
    {
        builder.ToTable("consent_subject_links");
        builder.HasKey(l => l.VisitorId);
        builder.Property(l => l.VisitorId).HasMaxLength(64);
        builder.Property(l => l.CustomerNumber).HasMaxLength(64);
        builder.Property(l => l.LinkedBy).HasMaxLength(64);
        builder.HasIndex(l => l.CustomerNumber);
    }
}
