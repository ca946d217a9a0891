using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>Ops' view of the keys: what they are, whom they are bound to, whether they work, when they were last used.</summary>
public static class ApiKeyReads
{
    public static async Task<Ok<List<ApiKeyResponse>>> List(
        PrivacyDbContext db, ApiKeyStore keys, ApiKeyUsage usage, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stored = await db.Set<StoredApiKey>().AsNoTracking().ToListAsync(cancellationToken);
        var restrictions = await db.Set<ConfiguredKeyRestriction>().AsNoTracking().ToDictionaryAsync(r => r.Hash, cancellationToken);
        var lastUses = await db.Set<ApiKeyLastUse>().AsNoTracking().ToDictionaryAsync(u => u.KeyId, u => u.LastUsedAt, cancellationToken);
        DateTimeOffset? LastUsed(string id) => Latest(lastUses.TryGetValue(id, out var at) ? at : null, usage.LastUsedHere(id));

        var views = keys.Configured
            .Select(k => View(k, restrictions.GetValueOrDefault(k.Hash.ToLowerInvariant()), LastUsed(k.Id), now))
            .Concat(stored.Select(k => View(k, LastUsed(k.Id), now)))
            .OrderBy(v => v.Id, StringComparer.Ordinal).ThenBy(v => v.Source)
            .ToList();
        return TypedResults.Ok(views);
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> Get(
        string id, PrivacyDbContext db, ApiKeyStore keys, ApiKeyUsage usage, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ApiKeyRules.IsId(id))
        {
            return NotFound();
        }

        var now = time.GetUtcNow();
        var lastUsed = await LastUsedAsync(db, usage, id, cancellationToken);
        if (keys.ConfiguredKey(id) is { } configured)
        {
            var hash = configured.Hash.ToLowerInvariant();
            var restriction = await db.Set<ConfiguredKeyRestriction>().AsNoTracking().SingleOrDefaultAsync(r => r.Hash == hash, cancellationToken);
            return TypedResults.Ok(View(configured, restriction, lastUsed, now));
        }

        var stored = await db.Set<StoredApiKey>().AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        return stored is null ? NotFound() : TypedResults.Ok(View(stored, lastUsed, now));
    }

    /// <summary>The later of what the replicas wrote and what this one has seen but not written yet.</summary>
    internal static async Task<DateTimeOffset?> LastUsedAsync(PrivacyDbContext db, ApiKeyUsage usage, string id, CancellationToken cancellationToken)
    {
        var written = await db.Set<ApiKeyLastUse>().AsNoTracking().Where(u => u.KeyId == id)
            .Select(u => (DateTimeOffset?)u.LastUsedAt).SingleOrDefaultAsync(cancellationToken);
        return Latest(written, usage.LastUsedHere(id));
    }

    internal static ApiKeyResponse View(StoredApiKey key, DateTimeOffset? lastUsed, DateTimeOffset now) =>
        new(key.Id, key.Role, key.Recipient, key.System, ApiKeySource.Database, Status(key.RevokedAt, key.ExpiresAt, now), key.CreatedAt,
            key.CreatedBy, key.ExpiresAt, key.RevokedAt, key.RevokedBy, lastUsed);

    internal static ApiKeyResponse View(ApiKeyEntry key, ConfiguredKeyRestriction? restriction, DateTimeOffset? lastUsed, DateTimeOffset now) =>
        new(key.Id, key.Role, key.Recipient, key.System, ApiKeySource.Configuration, Status(restriction?.RevokedAt, restriction?.ExpiresAt, now),
            null, null, restriction?.ExpiresAt, restriction?.RevokedAt, restriction?.RevokedBy, lastUsed);

    // The id is not repeated: it may be anything the caller typed.
    internal static ProblemHttpResult NotFound() => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
        detail: "There is no API key with this id (configured on this replica or created through /api-keys).");

    private static ApiKeyStatus Status(DateTimeOffset? revokedAt, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        revokedAt is not null ? ApiKeyStatus.Revoked : expiresAt <= now ? ApiKeyStatus.Expired : ApiKeyStatus.Active;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
