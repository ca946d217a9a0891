using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Audit;

/// <summary>
/// Records changes in the audit log. Entries join the caller's unit of work: they are committed by the
/// same <c>SaveChangesAsync</c> as the change they describe, or not at all.
/// </summary>
public sealed class AuditTrail(PrivacyDbContext db, TimeProvider time, IHttpContextAccessor http)
{
    /// <summary>Enums by name (<c>"channel": "banner"</c>, not <c>1</c>): an auditor reads the details without the source code.</summary>
    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Adds an entry for <paramref name="action"/> on an entity; <paramref name="details"/> must hold no personal data.</summary>
    public void Record(string action, string entityType, string entityId, object? details = null, Actor? actor = null) =>
        db.Add(Create(action, entityType, entityId, details, actor));

    /// <summary>
    /// The same entry as a statement for a caller that writes its change with its own batch (the consent
    /// hot path); it must run in the transaction of that change.
    /// </summary>
    public NpgsqlBatchCommand RecordCommand(string action, string entityType, string entityId, object? details = null)
    {
        var entry = Create(action, entityType, entityId, details, null);
        return BatchCommands.Create("""
            INSERT INTO privacy.audit_entries (occurred_at, actor_key_id, actor_role, action, entity_type, entity_id, details)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
            """, entry.OccurredAt, entry.ActorKeyId, entry.ActorRole, entry.Action, entry.EntityType, entry.EntityId, entry.Details);
    }

    private AuditEntry Create(string action, string entityType, string entityId, object? details, Actor? actor)
    {
        actor ??= http.HttpContext?.User.GetActor() ?? Actor.Service;
        return new AuditEntry
        {
            // PostgreSQL keeps microseconds: truncate so the sealed value is the stored value.
            OccurredAt = TruncateToMicroseconds(time.GetUtcNow()),
            ActorKeyId = actor.KeyId,
            ActorRole = actor.Role,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            Details = details is null ? null : JsonSerializer.Serialize(details, DetailsJson),
        };
    }

    internal static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);
}
