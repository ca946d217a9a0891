using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Requests;

namespace Privacy.Api.PrivacyCenter;

/// <summary>
/// The proof that the person who made a request in the privacy center controls the e-mail address they gave: a one-time code
/// sent there, kept only as a keyed hash, valid for a short time, with a limited number of wrong entries and of new codes
/// (Art 12(2), 12(6); EDPB Guidelines 01/2022 on verification proportionate to the request). One per request.
/// </summary>
public sealed class RequestVerification
{
    public Guid RequestId { get; set; }

    /// <summary>Keyed hash of the normalised e-mail address, so the per-address limit counts requests without another copy of it.</summary>
    public required string EmailKey { get; set; }

    /// <summary>HMAC-SHA256 of the current code under <see cref="CodeSalt"/> (hex); the code itself is never stored.</summary>
    public required string CodeHash { get; set; }

    public required byte[] CodeSalt { get; set; }

    public DateTimeOffset CodeIssuedAt { get; set; }

    public DateTimeOffset CodeExpiresAt { get; set; }

    /// <summary>Wrong codes entered so far; at the limit the request is locked and closed.</summary>
    public int Attempts { get; set; }

    /// <summary>New codes the person asked for (the reminder's does not count).</summary>
    public int Resends { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? VerifiedAt { get; set; }

    public DateTimeOffset? LockedAt { get; set; }

    public DateTimeOffset? RemindedAt { get; set; }

    /// <summary>Closed unverified (locked, or not confirmed in time): no code opens it any more.</summary>
    public DateTimeOffset? ClosedAt { get; set; }

    public bool Open => VerifiedAt is null && ClosedAt is null;
}

internal sealed class RequestVerificationConfiguration : IEntityTypeConfiguration<RequestVerification>
{
    public void Configure(EntityTypeBuilder<RequestVerification> builder)
    {
        builder.ToTable("rights_request_verifications");
        builder.HasKey(v => v.RequestId);
        builder.HasOne<RightsRequest>().WithOne().HasForeignKey<RequestVerification>(v => v.RequestId).OnDelete(DeleteBehavior.Cascade);
        builder.Property(v => v.EmailKey).HasMaxLength(64).IsFixedLength();
        builder.Property(v => v.CodeHash).HasMaxLength(64).IsFixedLength();
        builder.Property(v => v.CodeSalt).HasMaxLength(16);
        builder.Ignore(v => v.Open);
        builder.HasIndex(v => new { v.EmailKey, v.CreatedAt });
        // The sweep's work: open verifications by age.
        builder.HasIndex(v => v.CreatedAt).HasFilter("verified_at IS NULL AND closed_at IS NULL").HasDatabaseName("ix_rights_request_verifications_open");
    }
}

/// <summary>One-time codes: six digits from a CSPRNG, compared in constant time against their keyed hash.</summary>
public static class OneTimeCodes
{
    public static string New() => RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);

    public static (string Hash, byte[] Salt) Hash(Guid requestId, string code)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        return (HashWith(salt, requestId, code), salt);
    }

    public static bool Matches(RequestVerification verification, string code) =>
        CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(HashWith(verification.CodeSalt, verification.RequestId, code)), Encoding.ASCII.GetBytes(verification.CodeHash));

    private static string HashWith(byte[] salt, Guid requestId, string code) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(salt, Encoding.ASCII.GetBytes($"{requestId:N}:{code}")));
}
