using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;

namespace Privacy.Api.Platform.Keys;

/// <summary>What a data key is for. Each use has keys of its own, so one leaked or rotated key touches one kind of data only.</summary>
public enum DataKeyUse
{
    /// <summary>Keyed hashes of the IP address and user agent in consent proofs (they keep a decision provable after the clear values go).</summary>
    ProofHashing,

    /// <summary>Keyed hashes of national identity numbers, and the pseudonyms of erased customers.</summary>
    IdentityNumberHashing,

    /// <summary>Encryption of webhook signing secrets, and the seal on partner feed cursors.</summary>
    SecretEncryption,
}

/// <summary>
/// The data keys (section <c>DataKeys</c>): per use, the keys by id (base64 of at least 32 random bytes) and the id of the
/// current one, which protects everything new. The others stay active: what they protected still verifies, matches and
/// decrypts, until nothing refers to them (<c>GET /operations/data-keys</c>) and they are retired by removing them.
/// </summary>
public sealed class DataKeyOptions
{
    public const string Section = "DataKeys";

    public DataKeySet ProofHashing { get; set; } = new();

    public DataKeySet IdentityNumberHashing { get; set; } = new();

    public DataKeySet SecretEncryption { get; set; } = new();

    /// <summary>How often each replica re-encrypts webhook secrets still under an older key (default 1 minute).</summary>
    public TimeSpan RekeyInterval { get; set; } = TimeSpan.FromMinutes(1);

    public DataKeySet For(DataKeyUse use) => use switch
    {
        DataKeyUse.ProofHashing => ProofHashing,
        DataKeyUse.IdentityNumberHashing => IdentityNumberHashing,
        _ => SecretEncryption,
    };
}

/// <summary>The keys of one use.</summary>
public sealed class DataKeySet
{
    /// <summary>The id of the key that protects everything new.</summary>
    public string? Current { get; set; }

    /// <summary>Key id → base64 of at least 32 random bytes.</summary>
    public Dictionary<string, string> Keys { get; set; } = [];
}

/// <summary>One data key: its id, stored beside everything it protects, and its bytes.</summary>
public sealed class DataKey(string id, byte[] material)
{
    public string Id { get; } = id;

    internal byte[] Material { get; } = material;

    /// <summary>A key of its own for one job of the use (HMAC-SHA256 of the label under this key).</summary>
    public byte[] Derive(ReadOnlySpan<byte> label) => HMACSHA256.HashData(Material, label);
}

/// <summary>
/// The data keys in effect, read once at start-up: rotating one is a configuration change rolled out replica by replica (the
/// runbook is in deploy/README.md). A deployment from before the keyring kept one key, <c>Consent:ProofHashKey</c>, for every use:
/// configured, it stays active in every use under the id <c>legacy</c>, so what it protected still matches, never as the current
/// key. Only in Development, without any configuration, the documented development key is that legacy key and current everywhere.
/// </summary>
public sealed partial class DataKeyring
{
    public const string LegacyKeyId = "legacy";

    private readonly Dictionary<DataKeyUse, DataKey[]> _active = [];

    public DataKeyring(IOptions<DataKeyOptions> options, IOptions<ConsentOptions> consent, IHostEnvironment environment)
    {
        var legacyBase64 = consent.Value.ProofHashKey ?? (environment.IsDevelopment() ? ConsentOptions.DevelopmentProofHashKey : null);
        foreach (var use in Enum.GetValues<DataKeyUse>())
        {
            var set = options.Value.For(use);
            var keys = set.Keys.Where(k => IsKey(k.Value)).Select(k => new DataKey(k.Key, Convert.FromBase64String(k.Value))).ToList();
            if (legacyBase64 is not null && IsKey(legacyBase64))
            {
                keys.Add(new DataKey(LegacyKeyId, Convert.FromBase64String(legacyBase64)));
            }

            var current = keys.FirstOrDefault(k => k.Id == set.Current) ?? keys.FirstOrDefault(k => k.Id == LegacyKeyId && set.Current is null);
            // The current key first: new writes use it, and matching tries it first.
            _active[use] = current is null ? [.. keys] : [current, .. keys.Where(k => k != current)];
        }
    }

    /// <summary>The key that protects everything new in <paramref name="use"/>.</summary>
    public DataKey Current(DataKeyUse use) => _active[use] is [var first, ..]
        ? first
        : throw new InvalidOperationException($"No data key is configured for {use} (DataKeys:{use}).");

    /// <summary>Every active key of <paramref name="use"/>, the current one first.</summary>
    public IReadOnlyList<DataKey> Active(DataKeyUse use) => _active[use];

    /// <summary>The active key of <paramref name="use"/> with this id, or null when it is not (or no longer) configured.</summary>
    public DataKey? Find(DataKeyUse use, string? id) => Array.Find(_active[use], k => k.Id == id);

    internal static bool IsKey(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var length) && length >= 32;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,31}$")]
    internal static partial Regex KeyIdPattern();
}

/// <summary>
/// Checks the data keys at start-up, one line per problem naming the setting. Outside Development each use needs keys of its own and a
/// current one; the same key in two uses is refused, as is the legacy key as anyone's current key.
/// </summary>
internal sealed class DataKeyOptionsValidation(IHostEnvironment environment, IOptions<ConsentOptions> consent) : IValidateOptions<DataKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, DataKeyOptions options)
    {
        var failures = new List<string>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        if (consent.Value.ProofHashKey is { } legacy && DataKeyring.IsKey(legacy))
        {
            seen[legacy] = "Consent:ProofHashKey";
        }

        foreach (var use in Enum.GetValues<DataKeyUse>())
        {
            var set = options.For(use);
            var section = $"{DataKeyOptions.Section}:{use}";
            if (set.Keys.Count == 0 && set.Current is null && environment.IsDevelopment())
            {
                continue; // the development key, as the legacy key
            }

            foreach (var (id, value) in set.Keys)
            {
                if (!DataKeyring.KeyIdPattern().IsMatch(id) || id == DataKeyring.LegacyKeyId)
                {
                    failures.Add($"{section}:Keys:{id}: a key id is 1–32 lower-case letters, digits, '.', '_' or '-' (and not '{DataKeyring.LegacyKeyId}').");
                }
                else if (!DataKeyring.IsKey(value))
                {
                    failures.Add($"{section}:Keys:{id} must be base64 of at least 32 random bytes (openssl rand -base64 32).");
                }
                else if (seen.TryGetValue(value, out var other))
                {
                    failures.Add($"{section}:Keys:{id} is the same key as {other}: each use needs keys of its own.");
                }
                else
                {
                    seen[value] = $"{section}:Keys:{id}";
                }
            }

            if (string.IsNullOrWhiteSpace(set.Current))
            {
                failures.Add($"{section}:Current is not configured: name the key (under {section}:Keys) that protects everything new.");
            }
            else if (!set.Keys.ContainsKey(set.Current))
            {
                failures.Add($"{section}:Current names '{set.Current}', which is not one of {section}:Keys.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
