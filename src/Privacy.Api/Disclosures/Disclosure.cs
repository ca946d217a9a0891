using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Registry;

namespace Privacy.Api.Disclosures;

/// <summary>The ground on which personal data was disclosed (policy §"Utlämning").</summary>
public enum LegalGround
{
    /// <summary>Needed to perform a contract with the customer (Art 6(1)(b)).</summary>
    Contract = 1,

    /// <summary>Required by law (Art 6(1)(c)), e.g. bookkeeping or reports to authorities.</summary>
    LegalObligation,

    /// <summary>To establish, exercise or defend legal claims, incl. fraud prevention and credit risk.</summary>
    LegalClaims,

    /// <summary>The customer consented to the disclosure (Art 6(1)(a)).</summary>
    Consent,
}

/// <summary>Which Art 6(1) legal basis of a purpose each ground of disclosure rests on.</summary>
internal static class LegalGrounds
{
    /// <summary>
    /// The ground must be the purpose's basis: a purpose processed under a contract is not disclosed "on consent", nor a consent
    /// purpose "for the contract". Legal claims (policy §Utlämning 4: establish, exercise or defend legal claims, fraud
    /// prevention, credit risk) are the company's legitimate interests, Art 6(1)(f).
    /// </summary>
    public static LegalBasis Basis(LegalGround ground) => ground switch
    {
        LegalGround.Contract => LegalBasis.Contract,               // Art 6(1)(b)
        LegalGround.LegalObligation => LegalBasis.LegalObligation, // Art 6(1)(c)
        LegalGround.Consent => LegalBasis.Consent,                 // Art 6(1)(a)
        LegalGround.LegalClaims => LegalBasis.LegitimateInterests, // Art 6(1)(f)
        _ => throw new ArgumentOutOfRangeException(nameof(ground), ground, null),
    };

    public static string Wire(LegalGround ground) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(ground.ToString());

    public static string Describe(LegalBasis basis) => basis switch
    {
        LegalBasis.Consent => "consent (Art 6(1)(a)), ground 'consent'",
        LegalBasis.Contract => "contract (Art 6(1)(b)), ground 'contract'",
        LegalBasis.LegalObligation => "legal obligation (Art 6(1)(c)), ground 'legal_obligation'",
        LegalBasis.VitalInterests => "vital interests (Art 6(1)(d)), which no ground of disclosure fits",
        LegalBasis.PublicTask => "public task (Art 6(1)(e)), which no ground of disclosure fits",
        LegalBasis.LegitimateInterests => "legitimate interests (Art 6(1)(f)), ground 'legal_claims'",
        _ => basis.ToString(),
    };
}

/// <summary>
/// One disclosure of a subject's personal data to a recipient (R4). Append-only. <see cref="TransactionId"/>
/// is the writing transaction's id: the partner feed pages by (transaction, id) below the oldest running
/// transaction, so entries committed late are never skipped.
/// </summary>
public sealed class Disclosure
{
    public long Id { get; set; }

    public ulong TransactionId { get; set; }

    public required string RecipientKey { get; set; }

    public required string PurposeKey { get; set; }

    public LegalGround LegalGround { get; set; }

    /// <summary>The subject as the company and the recipient know them.</summary>
    public required string CustomerNumber { get; set; }

    /// <summary>The subject's national identity number as a keyed hash (never the number itself), when the sender gave it.</summary>
    public string? NationalIdHash { get; set; }

    /// <summary>The id of the data key the hash was made with (<see cref="Platform.Keys.DataKeyUse.IdentityNumberHashing"/>).</summary>
    public string? NationalIdKeyId { get; set; }

    public List<string> Categories { get; set; } = [];

    public DateTimeOffset DisclosedAt { get; set; }

    /// <summary>The sending system's own reference (order, invoice), for matching.</summary>
    public string? SenderReference { get; set; }

    public required string RecordedBy { get; set; }

    public DateTimeOffset RecordedAt { get; set; }
}

internal sealed class DisclosureConfiguration : IEntityTypeConfiguration<Disclosure>
{
    public void Configure(EntityTypeBuilder<Disclosure> builder)
    {
        builder.ToTable("disclosures");
        builder.HasKey(d => d.Id);
        builder.Property(d => d.Id).UseIdentityAlwaysColumn();
        builder.Property(d => d.TransactionId).HasColumnType("xid8").HasDefaultValueSql("pg_current_xact_id()").ValueGeneratedOnAdd();
        builder.Property(d => d.LegalGround).HasConversion<string>().HasMaxLength(32);
        builder.Property(d => d.CustomerNumber).HasMaxLength(64);
        builder.Property(d => d.SenderReference).HasMaxLength(200);
        builder.Property(d => d.RecordedBy).HasMaxLength(64);
        builder.HasOne<Recipient>().WithMany().HasForeignKey(d => d.RecipientKey).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<Purpose>().WithMany().HasForeignKey(d => d.PurposeKey).OnDelete(DeleteBehavior.Restrict);
        // The partner feed: one recipient's stream in (transaction, id) order.
        builder.HasIndex(d => new { d.RecipientKey, d.TransactionId, d.Id }).HasDatabaseName("ix_disclosures_feed");
        builder.HasIndex(d => new { d.CustomerNumber, d.Id });
        builder.Property(d => d.NationalIdHash).HasMaxLength(64).IsFixedLength();
        builder.Property(d => d.NationalIdKeyId).HasMaxLength(32);
        builder.HasIndex(d => new { d.NationalIdHash, d.Id }).HasFilter("national_id_hash IS NOT NULL");
        builder.HasIndex(d => d.DisclosedAt);
    }
}
