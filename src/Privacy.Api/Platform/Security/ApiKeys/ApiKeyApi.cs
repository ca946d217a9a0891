using System.Buffers.Text;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Validation;
using Privacy.Api.Registry;

namespace Privacy.Api.Platform.Security.ApiKeys;

/// <summary>
/// API keys at run time, for ops: create (the key is shown once), list and read (never the key nor its hash), revoke, set an
/// expiry. Configured keys are listed too and can be revoked or given an expiry here, without a deployment. Every change is
/// audited and in effect on every replica within <see cref="ApiKeyOptions.RefreshInterval"/>.
/// </summary>
public static class ApiKeyApi
{
    /// <summary>What every key created here starts with, so a leaked one is recognised (by secret scanners too).</summary>
    public const string KeyPrefix = "smpk_";

    private const string AuditType = "api_key";

    public static IServiceCollection AddApiKeyManagement(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyUsage>();
        services.AddSingleton<ApiKeyStore>();
        services.AddHostedService<ApiKeyRefresher>();
        return services;
    }

    public static IEndpointRouteBuilder MapApiKeyApi(this IEndpointRouteBuilder routes)
    {
        var keys = routes.MapGroup("/api-keys").WithTags("API keys").RequireAuthorization(Policies.Ops);
        keys.MapGet("/", ApiKeyReads.List)
            .WithName("ListApiKeys")
            .WithSummary("List every API key, configured and created at run time: role, binding, state, last use (never the key)")
            .WithDescription("Configured keys (`source: configuration`, this replica's `ApiKeys:Keys`) and keys created here " +
                             "(`source: database`), revoked and expired ones too, ordered by id. Neither the key nor its hash is ever " +
                             "shown. `lastUsedAt` is accurate to about a minute.");
        keys.MapGet("/{id}", ApiKeyReads.Get)
            .WithName("GetApiKey")
            .WithSummary("Read one API key: role, binding, state, last use (never the key)")
            .WithDescription("A configured key is found under its configured id; a key created here under the id it was created with.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        keys.MapPost("/", Create)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key of a role, bound to a recipient or system; the answer shows the key, once")
            .WithDescription("The key (`smpk_` and 32 random bytes, base64url) is in the answer only: the service keeps its SHA-256 and " +
                             "cannot show it again. It works on every replica within seconds. A partner key names an active registry " +
                             "recipient, a system key an active internal system (required outside Development); no other key names " +
                             "either. Ids are unique among configured and created keys and never reused (409). With an " +
                             "`Idempotency-Key`, a retry creates nothing and answers 409 with the key's `Location`, without the key " +
                             "(which is not stored): if the first answer was lost, revoke that key and create another. Audited, " +
                             "without the key.")
            .WithRequestExample(new CreateApiKeyRequest("partner-card-2027", Roles.Partner, "card-provider", null,
                new DateTimeOffset(2027, 6, 30, 0, 0, 0, TimeSpan.Zero)))
            .WithValidation<CreateApiKeyRequest>()
            .RefreshesApiKeys()
            .WithIdempotency(replay: _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Key already created",
                detail: "The first request with this Idempotency-Key created the key (see Location). A key is shown once and not " +
                        "kept, so a retry cannot show it again: if the first answer was lost, revoke that key and create another."))
            .ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPost("/{id}/revoke", Revoke)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke an API key, configured or created here: refused on every replica within seconds, no restart")
            .WithDescription("For a leaked key. A configured key's revocation is kept in the database by its hash, so it holds on " +
                             "every replica until the configuration drops the key (a new key configured under the same id is not " +
                             "revoked). A key cannot revoke itself (409): revoke it with another ops key, after creating one if need " +
                             "be. Revoking a revoked key changes nothing. Audited.")
            .RefreshesApiKeys()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        keys.MapPut("/{id}/expiry", SetExpiry)
            .WithName("SetApiKeyExpiry")
            .WithSummary("Set when an API key stops working, e.g. the old key's end in a rotation")
            .WithDescription("An instant in the future, earlier or later than the current expiry. A revoked or already expired key " +
                             "stays so (409): create a new one. Works for configured keys too. Audited.")
            .WithRequestExample(new SetApiKeyExpiryRequest(new DateTimeOffset(2027, 1, 31, 0, 0, 0, TimeSpan.Zero)))
            .WithValidation<SetApiKeyExpiryRequest>()
            .RefreshesApiKeys()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
    }

    public static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult, ValidationProblem>> Create(
        CreateApiKeyRequest request, HttpContext http, PrivacyDbContext db, ApiKeyStore keys, RegistryCatalog registry, AuditTrail audit,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Recipient is { } recipient && !await registry.IsRecipientAsync(recipient, cancellationToken))
        {
            errors["recipient"] = ["There is no active recipient with this key in the registry."];
        }

        if (request.System is { } system && !await registry.IsSystemAsync(system, cancellationToken))
        {
            errors["system"] = ["There is no active internal system with this key in the registry."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "One or more fields are invalid.");
        }

        // A concurrent create of the same id ends in the primary key's unique violation: 409 too.
        if (keys.ConfiguredKey(request.Id!) is not null || await db.Set<StoredApiKey>().AnyAsync(k => k.Id == request.Id, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Id in use",
                detail: "An API key with this id is configured or was created before (ids are never reused, even after revocation).");
        }

        var secret = KeyPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = AuditTrail.TruncateToMicroseconds(time.GetUtcNow());
        var key = new StoredApiKey
        {
            Id = request.Id!, Hash = ApiKeyAuthentication.Hash(secret), Role = request.Role!, Recipient = request.Recipient,
            System = request.System, CreatedAt = now, CreatedBy = http.User.GetActor().KeyId, ExpiresAt = request.ExpiresAt,
        };
        db.Add(key);
        audit.Record("api_key.created", AuditType, key.Id, Details(key.Role, key.Recipient, key.System, ApiKeySource.Database, key.ExpiresAt));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api-keys/{key.Id}", new CreatedApiKey(secret, ApiKeyReads.View(key, null, now)));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> Revoke(
        string id, HttpContext http, PrivacyDbContext db, ApiKeyStore keys, ApiKeyUsage usage, AuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (!ApiKeyRules.IsId(id))
        {
            return ApiKeyReads.NotFound();
        }

        var actor = http.User.GetActor();
        if (id == actor.KeyId)
        {
            // Revoking the key in use locks its holder out, and with the last ops key every operator until a deployment.
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The key in use",
                detail: "A key cannot revoke itself. Revoke it with another ops key; if this is the only one, create a new ops key " +
                        "first (POST /api-keys) and revoke this one with it.");
        }

        var now = AuditTrail.TruncateToMicroseconds(time.GetUtcNow());
        var lastUsed = await ApiKeyReads.LastUsedAsync(db, usage, id, cancellationToken);
        if (keys.ConfiguredKey(id) is { } configured)
        {
            var restriction = await RestrictionAsync(db, configured, cancellationToken);
            if (restriction.RevokedAt is null)
            {
                (restriction.RevokedAt, restriction.RevokedBy) = (now, actor.KeyId);
                audit.Record("api_key.revoked", AuditType, id,
                    Details(configured.Role, configured.Recipient, configured.System, ApiKeySource.Configuration, restriction.ExpiresAt));
                await db.SaveChangesAsync(cancellationToken);
            }

            return TypedResults.Ok(ApiKeyReads.View(configured, restriction, lastUsed, now));
        }

        var stored = await db.Set<StoredApiKey>().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (stored is null)
        {
            return ApiKeyReads.NotFound();
        }

        if (stored.RevokedAt is null)
        {
            (stored.RevokedAt, stored.RevokedBy) = (now, actor.KeyId);
            audit.Record("api_key.revoked", AuditType, id, Details(stored.Role, stored.Recipient, stored.System, ApiKeySource.Database, stored.ExpiresAt));
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(ApiKeyReads.View(stored, lastUsed, now));
    }

    public static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> SetExpiry(
        string id, SetApiKeyExpiryRequest request, PrivacyDbContext db, ApiKeyStore keys, ApiKeyUsage usage, AuditTrail audit,
        TimeProvider time, CancellationToken cancellationToken)
    {
        if (!ApiKeyRules.IsId(id))
        {
            return ApiKeyReads.NotFound();
        }

        var now = AuditTrail.TruncateToMicroseconds(time.GetUtcNow());
        var expiresAt = request.ExpiresAt!.Value;
        var lastUsed = await ApiKeyReads.LastUsedAsync(db, usage, id, cancellationToken);
        if (keys.ConfiguredKey(id) is { } configured)
        {
            var restriction = await RestrictionAsync(db, configured, cancellationToken);
            if (Ended(restriction.RevokedAt, restriction.ExpiresAt, now) is { } ended)
            {
                return ended;
            }

            audit.Record("api_key.expiry_set", AuditType, id,
                Details(configured.Role, configured.Recipient, configured.System, ApiKeySource.Configuration, expiresAt, restriction.ExpiresAt));
            restriction.ExpiresAt = expiresAt;
            await db.SaveChangesAsync(cancellationToken);
            return TypedResults.Ok(ApiKeyReads.View(configured, restriction, lastUsed, now));
        }

        var stored = await db.Set<StoredApiKey>().SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (stored is null)
        {
            return ApiKeyReads.NotFound();
        }

        if (Ended(stored.RevokedAt, stored.ExpiresAt, now) is { } over)
        {
            return over;
        }

        audit.Record("api_key.expiry_set", AuditType, id,
            Details(stored.Role, stored.Recipient, stored.System, ApiKeySource.Database, expiresAt, stored.ExpiresAt));
        stored.ExpiresAt = expiresAt;
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ApiKeyReads.View(stored, lastUsed, now));
    }

    /// <summary>The configured key's restriction row, tracked (a new one is added to the context, not yet saved).</summary>
    private static async Task<ConfiguredKeyRestriction> RestrictionAsync(PrivacyDbContext db, ApiKeyEntry configured, CancellationToken cancellationToken)
    {
        var hash = configured.Hash.ToLowerInvariant();
        var restriction = await db.Set<ConfiguredKeyRestriction>().SingleOrDefaultAsync(r => r.Hash == hash, cancellationToken);
        if (restriction is null)
        {
            restriction = new ConfiguredKeyRestriction { Hash = hash, KeyId = configured.Id };
            db.Add(restriction);
        }

        return restriction;
    }

    private static ProblemHttpResult? Ended(DateTimeOffset? revokedAt, DateTimeOffset? expiresAt, DateTimeOffset now) =>
        revokedAt is not null
            ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Revoked",
                detail: "The key is revoked and stays so; create a new one.")
            : expiresAt <= now
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Expired",
                    detail: "The key has expired and stays so; create a new one.")
                : null;

    /// <summary>What the audit log records of a key: never the key nor its hash.</summary>
    private static object Details(string role, string? recipient, string? system, ApiKeySource source, DateTimeOffset? expiresAt,
        DateTimeOffset? previousExpiresAt = null) =>
        new { role, recipient, system, source, expiresAt, previousExpiresAt };

    /// <summary>
    /// After a change through this replica succeeds (and its transaction, the idempotency filter's too, has committed), reads
    /// the keys again before answering: the caller's next request to this replica already sees it. Registered before
    /// <c>WithIdempotency</c>, so it runs outside it. A failed read is only logged: the change is committed, and the periodic
    /// refresh catches up.
    /// </summary>
    private static RouteHandlerBuilder RefreshesApiKeys(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var inner = result;
            while (inner is INestedHttpResult nested)
            {
                inner = nested.Result;
            }

            if (inner is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 })
            {
                var services = context.HttpContext.RequestServices;
                try
                {
                    await services.GetRequiredService<ApiKeyStore>().RefreshAsync(context.HttpContext.RequestAborted);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    services.GetRequiredService<ILogger<ApiKeyStore>>().LogWarning(exception,
                        "Reading the API keys after a change failed; the periodic refresh will pick the change up");
                }
            }

            return result;
        });
}
