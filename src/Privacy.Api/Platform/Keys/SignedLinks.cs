using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Privacy.Api.Platform.Keys;

/// <summary>
/// Tokens for the links the service sends people (a request's status page, a newsletter's unsubscribe link): what the link opens and
/// until when, sealed with an HMAC under the current <see cref="DataKeyUse.SecretEncryption"/> key, with a key of its own per kind
/// of link, so a status link never opens an unsubscribe and no link can be made up or changed. A token still opens under every
/// active key: a rotation does not break links already sent (retiring the key does, as for feed cursors).
/// </summary>
public sealed class SignedLinks(DataKeyring keyring, TimeProvider time)
{
    /// <summary>A token for <paramref name="subject"/> (e.g. a request id) of the kind <paramref name="kind"/>, valid until <paramref name="expires"/> (null: no end).</summary>
    public string Issue(string kind, string subject, DateTimeOffset? expires)
    {
        var key = keyring.Current(DataKeyUse.SecretEncryption);
        var body = $"{key.Id}\n{(expires is { } e ? e.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) : "-")}\n{subject}";
        return $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(body))}.{Base64Url.EncodeToString(Mac(key, kind, body))}";
    }

    /// <summary>
    /// The subject of a token of <paramref name="kind"/>, when the token is genuine and has not expired; otherwise null, whatever the
    /// reason (forged, changed, of another kind, expired, under a retired key): a link that does not open says nothing more.
    /// </summary>
    public SignedLink? Read(string kind, string? token)
    {
        if (token is null || token.Length > 512 || token.Split('.') is not [var encoded, var mac])
        {
            return null;
        }

        string body;
        byte[] given;
        try
        {
            body = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(encoded));
            given = Base64Url.DecodeFromChars(mac);
        }
        catch (FormatException)
        {
            return null;
        }

        if (body.Split('\n', 3) is not [var keyId, var expiry, var subject] || keyring.Find(DataKeyUse.SecretEncryption, keyId) is not { } key
            || !CryptographicOperations.FixedTimeEquals(Mac(key, kind, body), given))
        {
            return null;
        }

        DateTimeOffset? expires = expiry == "-" ? null
            : long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
        if (expiry != "-" && (expires is null || expires <= time.GetUtcNow()))
        {
            return null;
        }

        return new SignedLink(subject, expires);
    }

    private static byte[] Mac(DataKey key, string kind, string body) =>
        HMACSHA256.HashData(key.Derive(Encoding.UTF8.GetBytes("signed-link:" + kind)), Encoding.UTF8.GetBytes(body)).AsSpan(0, 16).ToArray();
}

/// <summary>What a genuine, unexpired link opens, and until when (null: no end).</summary>
public sealed record SignedLink(string Subject, DateTimeOffset? Expires);
