using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Consent;

namespace Privacy.Api.Registry;

/// <summary>What every registry entry has: a stable key, a name, and a retirement date instead of deletion.</summary>
public abstract class RegistryEntry
{
    /// <summary>Stable key (fideslang key for data categories, e.g. <c>user.contact.email</c>).</summary>
    public required string Key { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>
    /// What a person reads (Art 12(1)): the name and a plain-language description in Swedish and in English. Null: not
    /// translated yet; the report falls back to <see cref="Name"/> and the registry lists it as a missing translation.
    /// </summary>
    public string? NameSv { get; set; }

    public string? NameEn { get; set; }

    public string? DescriptionSv { get; set; }

    public string? DescriptionEn { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Set when the entry no longer applies; retired entries stay for history and references.</summary>
    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>A category of personal data (Art 30(1)(c)).</summary>
public sealed class DataCategory : RegistryEntry;

/// <summary>A purpose of processing with its Art 6(1) legal basis (Art 30(1)(b)).</summary>
public sealed class Purpose : RegistryEntry
{
    public LegalBasis LegalBasis { get; set; }

    /// <summary>Categories of data subjects (Art 30(1)(c)); for a consent purpose also whose consent is asked (others are refused).</summary>
    public List<DataSubjectType> DataSubjects { get; set; } = [];

    /// <summary>
    /// For a purpose that takes consent (or is always on): the channels a decision granting it may come from, e.g. never the
    /// cookie banner for the newsletter. Empty for other purposes. Withdrawal is not limited by channel (Art 7(3)).
    /// </summary>
    public List<ConsentChannel> ConsentChannels { get; set; } = [];

    /// <summary>Plain-language time limit for erasure (Art 30(1)(f)).</summary>
    public string? Retention { get; set; }

    /// <summary>Strictly necessary (e.g. session cookies): always on, listed by the consent banner, never denied.</summary>
    public bool AlwaysOn { get; set; }

    /// <summary>Sale/sharing-like: a Global Privacy Control signal stores it as denied whatever was chosen.</summary>
    public bool LimitedByGpc { get; set; }

    /// <summary>
    /// Direct marketing (or profiling for it): an objection to it is granted at once, without grounds, and covers every
    /// direct-marketing purpose (Art 21(2)–(3)).
    /// </summary>
    public bool DirectMarketing { get; set; }
}

/// <summary>A recipient of personal data: processor, third party or public authority (Art 30(1)(d)).</summary>
public sealed class Recipient : RegistryEntry
{
    public RecipientKind Kind { get; set; }

    /// <summary>ISO 3166-1 alpha-2 country where the recipient processes the data.</summary>
    public required string Country { get; set; }

    /// <summary>For a country outside the EU/EEA: the Art 46 safeguard or adequacy decision (Art 30(1)(e)).</summary>
    public string? TransferSafeguard { get; set; }

    /// <summary>Business contact for privacy matters (not a data subject's data).</summary>
    public string? Contact { get; set; }
}

/// <summary>An internal system that holds personal data; rights requests and retention fan out to it.</summary>
public sealed class InternalSystem : RegistryEntry
{
    public List<InternalSystemCategory> Categories { get; set; } = [];
}

/// <summary>A category of data held by an internal system.</summary>
public sealed class InternalSystemCategory
{
    public required string SystemKey { get; set; }

    public required string CategoryKey { get; set; }
}

/// <summary>
/// A purpose × category × recipient link: the category is processed for the purpose and, when a
/// recipient is named, disclosed to it for that purpose. Links are retired, never deleted.
/// </summary>
public sealed class ProcessingLink
{
    public long Id { get; set; }

    public required string PurposeKey { get; set; }

    public required string CategoryKey { get; set; }

    /// <summary>Null: processed internally only.</summary>
    public string? RecipientKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RetiredAt { get; set; }
}

/// <summary>GDPR Art 6(1) legal bases.</summary>
public enum LegalBasis
{
    /// <summary>Art 6(1)(a)</summary>
    Consent = 1,

    /// <summary>Art 6(1)(b)</summary>
    Contract,

    /// <summary>Art 6(1)(c)</summary>
    LegalObligation,

    /// <summary>Art 6(1)(d)</summary>
    VitalInterests,

    /// <summary>Art 6(1)(e)</summary>
    PublicTask,

    /// <summary>Art 6(1)(f)</summary>
    LegitimateInterests,
}

/// <summary>Categories of data subjects.</summary>
public enum DataSubjectType
{
    /// <summary>Customers: people with a customer number.</summary>
    Customer = 1,

    /// <summary>Website visitors who are not (known to be) customers.</summary>
    Visitor,
}

/// <summary>Kinds of recipient (Art 4(9), 4(10), 28).</summary>
public enum RecipientKind
{
    /// <summary>Processes the data on the company's behalf and instructions (Art 4(8), 28).</summary>
    Processor = 1,

    /// <summary>Another controller that decides itself how it uses the data (Art 4(10)).</summary>
    ThirdParty,

    /// <summary>An authority the data is given to, e.g. under a legal obligation.</summary>
    PublicAuthority,
}

internal static class RegistryEntryConfiguration
{
    public static void ConfigureEntry<T>(this EntityTypeBuilder<T> builder, string table) where T : RegistryEntry
    {
        builder.ToTable(table);
        builder.HasKey(e => e.Key);
        builder.Property(e => e.Key).HasMaxLength(100);
        builder.Property(e => e.Name).HasMaxLength(200);
        builder.Property(e => e.Description).HasMaxLength(2000);
        builder.Property(e => e.NameSv).HasMaxLength(200);
        builder.Property(e => e.NameEn).HasMaxLength(200);
        builder.Property(e => e.DescriptionSv).HasMaxLength(2000);
        builder.Property(e => e.DescriptionEn).HasMaxLength(2000);
    }
}

internal sealed class DataCategoryConfiguration : IEntityTypeConfiguration<DataCategory>
{
    public void Configure(EntityTypeBuilder<DataCategory> builder) => builder.ConfigureEntry("data_categories");
}

internal sealed class PurposeConfiguration : IEntityTypeConfiguration<Purpose>
{
    public void Configure(EntityTypeBuilder<Purpose> builder)
    {
        builder.ConfigureEntry("purposes");
        builder.Property(e => e.LegalBasis).HasConversion<string>().HasMaxLength(32);
        builder.PrimitiveCollection(e => e.DataSubjects).ElementType(e => e.HasConversion<string>());
        builder.PrimitiveCollection(e => e.ConsentChannels).ElementType(e => e.HasConversion<string>());
        builder.Property(e => e.Retention).HasMaxLength(2000);
    }
}

internal sealed class RecipientConfiguration : IEntityTypeConfiguration<Recipient>
{
    public void Configure(EntityTypeBuilder<Recipient> builder)
    {
        builder.ConfigureEntry("recipients");
        builder.Property(e => e.Kind).HasConversion<string>().HasMaxLength(32);
        builder.Property(e => e.Country).HasMaxLength(2).IsFixedLength();
        builder.Property(e => e.TransferSafeguard).HasMaxLength(500);
        builder.Property(e => e.Contact).HasMaxLength(320);
    }
}

internal sealed class InternalSystemConfiguration : IEntityTypeConfiguration<InternalSystem>
{
    public void Configure(EntityTypeBuilder<InternalSystem> builder)
    {
        builder.ConfigureEntry("internal_systems");
        builder.HasMany(e => e.Categories).WithOne().HasForeignKey(c => c.SystemKey).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class InternalSystemCategoryConfiguration : IEntityTypeConfiguration<InternalSystemCategory>
{
    public void Configure(EntityTypeBuilder<InternalSystemCategory> builder)
    {
        builder.ToTable("internal_system_categories");
        builder.HasKey(e => new { e.SystemKey, e.CategoryKey });
        builder.HasOne<DataCategory>().WithMany().HasForeignKey(e => e.CategoryKey).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ProcessingLinkConfiguration : IEntityTypeConfiguration<ProcessingLink>
{
    public void Configure(EntityTypeBuilder<ProcessingLink> builder)
    {
        builder.ToTable("processing_links");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Id).UseIdentityAlwaysColumn();
        builder.HasOne<Purpose>().WithMany().HasForeignKey(e => e.PurposeKey).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<DataCategory>().WithMany().HasForeignKey(e => e.CategoryKey).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(e => e.RecipientKey).OnDelete(DeleteBehavior.Restrict);
        // One active link per triple; "internal only" (no recipient) counts as one value.
        builder.HasIndex(e => new { e.PurposeKey, e.CategoryKey, e.RecipientKey })
            .IsUnique()
            .AreNullsDistinct(false)
            .HasFilter("retired_at IS NULL")
            .HasDatabaseName("ux_processing_links_active");
        builder.HasIndex(e => e.RecipientKey);
        builder.HasIndex(e => e.CategoryKey);
    }
}
