using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Privacy.Api.Consent;

namespace Privacy.Api.Subjects;

/// <summary>
/// Turns national identity numbers into keyed hashes: the service stores and compares only those. The key is derived
/// from the service's data key for this one use, so the hashes cannot be matched against any other keyed hash it keeps.
/// </summary>
public sealed class SubjectHasher(IOptions<ConsentOptions> options, TimeProvider time)
{
    /// <summary>The keyed hash of a valid number (in any accepted format), or null when it is not one.</summary>
    public string? HashNationalIdentityNumber(string? input) =>
        SwedishIdentityNumber.TryParse(input, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), out var number)
            ? SwedishIdentityNumber.KeyedHash(number.Normalized, Key())
            : null;

    private byte[] Key() => HMACSHA256.HashData(options.Value.ProofKeyBytes(), "national-identity-number"u8);
}
