using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Privacy.Api.Audit;

/// <summary>The seal of an audit entry: SHA-256 over its position, content and the previous seal.</summary>
public static class AuditChain
{
    public static readonly string GenesisSeal = new('0', 64);

    public static string ComputeSeal(AuditEntry entry, long position, string previousSeal)
    {
        // A JSON array is an unambiguous encoding: no field can bleed into the next.
        var canonical = JsonSerializer.Serialize(new object?[]
        {
            position,
            entry.Id,
            (entry.OccurredAt.UtcTicks / 10).ToString(CultureInfo.InvariantCulture),
            entry.ActorKeyId,
            entry.ActorRole,
            entry.Action,
            entry.EntityType,
            entry.EntityId,
            entry.Details,
            previousSeal,
        });
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
