using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Privacy.Api.Platform.Keys;

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

    /// <summary>AES-GCM: nonce (12) | tag (16) | ciphertext, under a key derived from the data key <see cref="KeyId"/>.</summary>
    public required byte[] Protected { get; set; }

    /// <summary>The id of the data key (<see cref="Platform.Keys.DataKeyUse.SecretEncryption"/>) <see cref="Protected"/> is encrypted under.</summary>
    public required string KeyId { get; set; }

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
        builder.Property(s => s.KeyId).HasMaxLength(32);
        builder.HasIndex(s => s.RecipientKey);
    }
}

/// <summary>
/// Creates, protects and reads webhook secrets; the plain secret leaves the service only once, when created. Each is encrypted under the
/// current secret-encryption key and decrypted under the key it names, so a rotation needs no downtime; <see cref="WebhookSecretRekeying"/>
/// then moves the older ones to the current key.
/// </summary>
public sealed class WebhookSecrets
{
    public const string Prefix = "whsec_";

    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _current;

    public WebhookSecrets(DataKeyring keyring)
    {
        _keys = keyring.Active(DataKeyUse.SecretEncryption).ToDictionary(k => k.Id, k => k.Derive("webhook-secrets"u8), StringComparer.Ordinal);
        _current = keyring.Current(DataKeyUse.SecretEncryption).Id;
    }

    /// <summary>The id of the key new secrets are encrypted under.</summary>
    public string CurrentKeyId => _current;

    /// <summary>A new secret: <c>whsec_</c> and base64 of 32 random bytes (the Standard Webhooks format).</summary>
    public static string Generate() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The row of a new secret of <paramref name="recipient"/>, encrypted under the current key.</summary>
    public WebhookSecret Create(string recipient, string secret, DateTimeOffset now) =>
        new() { RecipientKey = recipient, Protected = Protect(Encoding.UTF8.GetBytes(secret), _current), KeyId = _current, CreatedAt = now };

    /// <summary>The HMAC key a protected secret stands for (the base64 part after <c>whsec_</c>).</summary>
    public byte[] SigningKey(byte[] protectedSecret, string keyId) =>
        Convert.FromBase64String(Encoding.UTF8.GetString(Unprotect(protectedSecret, keyId))[Prefix.Length..]);

    /// <summary>The same secret encrypted under the current key.</summary>
    public byte[] Reencrypt(byte[] protectedSecret, string keyId) => Protect(Unprotect(protectedSecret, keyId), _current);

    private byte[] Protect(byte[] plain, string keyId)
    {
        var sealedBytes = new byte[12 + 16 + plain.Length];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys[keyId], 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16));
        return sealedBytes;
    }

    private byte[] Unprotect(byte[] protectedSecret, string keyId)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            // Not reached while DataKeyUsageCheck holds: the service does not start without every key a stored secret names.
            throw new CryptographicException($"The webhook secret is encrypted under data key '{keyId}', which is not configured.");
        }

        var plain = new byte[protectedSecret.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(protectedSecret.AsSpan(0, 12), protectedSecret.AsSpan(28), protectedSecret.AsSpan(12, 16), plain);
        return plain;
    }
}
