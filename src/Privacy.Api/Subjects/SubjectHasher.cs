using System.Security.Cryptography;
using Privacy.Api.Platform.Keys;

namespace Privacy.Api.Subjects;

/// <summary>
/// Turns national identity numbers into keyed hashes: the service stores and compares only those, each beside the id of the key it
/// was made with (<see cref="DataKeyUse.IdentityNumberHashing"/>). New hashes use the current key; a number given again matches its
/// hashes under every active key, so a rotation loses no match.
/// </summary>
public sealed class SubjectHasher
{
    private readonly TimeProvider _time;
    private readonly (string Id, byte[] Key)[] _keys;

    public SubjectHasher(DataKeyring keyring, TimeProvider time)
    {
        _time = time;
        // Derived once: a key of its own for this one job, so these hashes match no other keyed hash the service keeps.
        _keys = [.. keyring.Active(DataKeyUse.IdentityNumberHashing).Select(k => (k.Id, k.Derive("national-identity-number"u8)))];
    }

    /// <summary>The id of the key new hashes are made with.</summary>
    public string CurrentKeyId => _keys[0].Id;

    /// <summary>The keyed hash of a valid number (in any accepted format) under the current key, or null when it is not one.</summary>
    public string? HashNationalIdentityNumber(string? input) =>
        Normalized(input) is { } number ? SwedishIdentityNumber.KeyedHash(number, _keys[0].Key) : null;

    /// <summary>The number's keyed hashes under every active key, the current one first (empty when it is not a valid number).</summary>
    public IReadOnlyList<string> HashesUnderEveryKey(string? input) =>
        Normalized(input) is { } number ? [.. _keys.Select(k => SwedishIdentityNumber.KeyedHash(number, k.Key))] : [];

    private string? Normalized(string? input) =>
        SwedishIdentityNumber.TryParse(input, DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime), out var number) ? number.Normalized : null;
}
