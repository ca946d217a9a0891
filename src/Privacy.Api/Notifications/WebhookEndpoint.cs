using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;

namespace Privacy.Api.Notifications;

/// <summary>Where a recipient (or an internal system) receives its webhooks. Disabled (e.g. after 410 Gone) until ops set it again.</summary>
public sealed class WebhookEndpoint
{
    public required string RecipientKey { get; set; }

    public required string Url { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    public string? DisabledReason { get; set; }

    public List<WebhookSecret> Secrets { get; set; } = [];
}

/// <summary>
/// One signing secret of an endpoint (<c>whsec_…</c>), stored encrypted. Every secret not yet expired signs each
/// message, so a receiver can switch from the old secret to the new one during the overlap after a rotation.
/// </summary>
public sealed class WebhookSecret
{
    public long Id { get; set; }

    public required string RecipientKey { get; set; }

    /// <summary>AES-GCM: nonce (12) | tag (16) | ciphertext, under a key derived from the service's data key.</summary>
    public required byte[] Protected { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the secret stops signing (set when a newer one replaces it).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

internal sealed class WebhookEndpointConfiguration : IEntityTypeConfiguration<WebhookEndpoint>
{
    public void Configure(EntityTypeBuilder<WebhookEndpoint> builder)
    {
        builder.ToTable("webhook_endpoints");
        builder.HasKey(e => e.RecipientKey);
        builder.Property(e => e.Url).HasMaxLength(2000);
        builder.Property(e => e.DisabledReason).HasMaxLength(500);
        // A recipient's or an internal system's endpoint (checked against the registry when set): no foreign key.
        builder.HasMany(e => e.Secrets).WithOne().HasForeignKey(s => s.RecipientKey).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class WebhookSecretConfiguration : IEntityTypeConfiguration<WebhookSecret>
{
    public void Configure(EntityTypeBuilder<WebhookSecret> builder)
    {
        builder.ToTable("webhook_secrets");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).UseIdentityAlwaysColumn();
        builder.HasIndex(s => s.RecipientKey);
    }
}

/// <summary>Creates, protects and reads webhook secrets; the plain secret leaves the service only once, when created.</summary>
public sealed class WebhookSecrets(IOptions<ConsentOptions> options)
{
    public const string Prefix = "whsec_";

    /// <summary>A new secret: <c>whsec_</c> and base64 of 32 random bytes (the Standard Webhooks format).</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public byte[] Protect(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + 16 + plain.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Key(), 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        return sealedBytes;
    }

    /// <summary>The HMAC key a protected secret stands for (the base64 part after <c>whsec_</c>).</summary>
    public byte[] SigningKey(byte[] protectedSecret)
    {
        var plain = new byte[protectedSecret.Length - 28];
        using var aes = new AesGcm(Key(), 16);
        aes.Decrypt(protectedSecret.AsSpan(0, 12), protectedSecret.AsSpan(28), protectedSecret.AsSpan(12, 16), plain);
        return Convert.FromBase64String(Encoding.UTF8.GetString(plain)[Prefix.Length..]);
    }

    private byte[] Key() => HMACSHA256.HashData(options.Value.ProofKeyBytes(), "webhook-secrets"u8);
}
