using System.Text.Json;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Audit;

/// <summary>
/// Records changes in the audit log. Entries join the caller's unit of work: they are committed by the
/// same <c>SaveChangesAsync</c> as the change they describe, or not at all.
/// </summary>
public sealed class AuditTrail(PrivacyDbContext db, TimeProvider time, IHttpContextAccessor http)
{
    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);

    /// <summary>Adds an entry for <paramref name="action"/> on an entity; <paramref name="details"/> must hold no personal data.</summary>
    public void Record(string action, string entityType, string entityId, object? details = null, Actor? actor = null)
    {
        actor ??= http.HttpContext?.User.GetActor() ?? Actor.Service;
        db.Add(new AuditEntry
        {
            // PostgreSQL keeps microseconds: truncate so the sealed value is the stored value.
            OccurredAt = TruncateToMicroseconds(time.GetUtcNow()),
            ActorKeyId = actor.KeyId,
            ActorRole = actor.Role,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            Details = details is null ? null : JsonSerializer.Serialize(details, DetailsJson),
        });
    }

    internal static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);
}
