using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Registry;

/// <summary>
/// The endpoints every kind of registry entry has: list, read, create, replace, retire, delete.
/// Retiring keeps the entry for history; deleting is refused while anything refers to the entry.
/// </summary>
public static class RegistryEntryApi<TKind, TEntity, TRequest, TResponse>
    where TKind : IRegistryKind<TEntity, TRequest, TResponse>
    where TEntity : RegistryEntry
    where TRequest : class, IRegistryRequest
{
    private static string AuditType => "registry." + TKind.OperationName;

    public static void Map(RouteGroupBuilder registry)
    {
        var group = registry.MapGroup("/" + TKind.Segment);
        var plural = TKind.Segment == "categories" ? "data categories" : TKind.Singular + "s";
        var a = "aeiou".Contains(TKind.Singular[0], StringComparison.Ordinal) ? "an" : "a";
        var pluralName = TKind.OperationName.EndsWith('y') ? TKind.OperationName[..^1] + "ies" : TKind.OperationName + "s";

        group.MapGet("/", List)
            .WithName("List" + pluralName)
            .WithSummary($"List {plural}")
            .WithDescription($"Active {plural}, ordered by key; `includeRetired=true` adds retired ones.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Policies.AnyCaller);
        group.MapGet("/{key}", Get)
            .WithName("Get" + TKind.OperationName)
            .WithSummary($"Read one {TKind.Singular}")
            .WithDescription($"The {TKind.Singular} with this key, active or retired (`retiredAt` is set once it is retired).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.AnyCaller);
        group.MapPost("/", Create)
            .WithName("Create" + TKind.OperationName)
            .WithSummary($"Create {a} {TKind.Singular}")
            .WithDescription("Keys are permanent. A key in use (even by a retired entry) answers 409. Send an `Idempotency-Key` header to make a retry safe.")
            .WithRequestExample(TKind.Example)
            .WithValidation<TRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        group.MapPut("/{key}", Update)
            .WithName("Update" + TKind.OperationName)
            .WithSummary($"Replace {a} {TKind.Singular}'s fields")
            .WithDescription("The body's `key` must equal the key in the path. Retired entries cannot be changed (409).")
            .WithRequestExample(TKind.Example)
            .WithValidation<TRequest>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        group.MapPost("/{key}/retire", Retire)
            .WithName("Retire" + TKind.OperationName)
            .WithSummary($"Retire {a} {TKind.Singular}")
            .WithDescription("The entry stays for history and for what refers to it, but no longer appears in the record of processing " +
                             "and cannot be used by new links. Retiring a retired entry changes nothing.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Ops);
        group.MapDelete("/{key}", Delete)
            .WithName("Delete" + TKind.OperationName)
            .WithSummary($"Delete {a} {TKind.Singular} nothing refers to")
            .WithDescription("Refused with 409, naming what refers to the entry, while anything does: retire it instead.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
    }

    public static async Task<Ok<List<TResponse>>> List(PrivacyDbContext db, bool? includeRetired, CancellationToken cancellationToken)
    {
        var query = db.Set<TEntity>().AsNoTracking();
        if (includeRetired != true)
        {
            query = query.Where(e => e.RetiredAt == null);
        }

        return TypedResults.Ok(await query.OrderBy(e => e.Key).Select(TKind.Projection).ToListAsync(cancellationToken));
    }

    public static async Task<Results<Ok<TResponse>, ProblemHttpResult>> Get(string key, PrivacyDbContext db, CancellationToken cancellationToken)
    {
        var found = await db.Set<TEntity>().AsNoTracking().Where(e => e.Key == key).Select(TKind.Projection).ToListAsync(cancellationToken);
        return found.Count == 1 ? TypedResults.Ok(found[0]) : NotFound(key);
    }

    public static async Task<Results<Created<TResponse>, ProblemHttpResult, ValidationProblem>> Create(
        TRequest request, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = await TKind.CheckReferencesAsync(db, request, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await db.Set<TEntity>().AnyAsync(e => e.Key == request.Key, cancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Key in use",
                detail: $"A {TKind.Singular} with key '{request.Key}' already exists (keys are never reused, even after retirement).");
        }

        var entity = TKind.Create(request);
        TKind.Apply(request, entity);
        entity.CreatedAt = entity.UpdatedAt = time.GetUtcNow();
        db.Add(entity);
        audit.Record(AuditType + ".created", AuditType, entity.Key, TKind.AuditDetails(request));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/registry/{TKind.Segment}/{entity.Key}", await Read(db, entity.Key, cancellationToken));
    }

    public static async Task<Results<Ok<TResponse>, ProblemHttpResult, ValidationProblem>> Update(
        string key, TRequest request, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Key != key)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["key"] = ["'key' must equal the key in the path: keys cannot be changed."],
            });
        }

        var entity = await TKind.Tracked(db).SingleOrDefaultAsync(e => e.Key == key, cancellationToken);
        if (entity is null)
        {
            return NotFound(key);
        }

        if (entity.RetiredAt is not null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Retired",
                detail: $"The {TKind.Singular} '{key}' is retired and cannot be changed.");
        }

        var errors = await TKind.CheckReferencesAsync(db, request, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        TKind.Apply(request, entity);
        entity.UpdatedAt = time.GetUtcNow();
        audit.Record(AuditType + ".updated", AuditType, key, TKind.AuditDetails(request));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(await Read(db, key, cancellationToken));
    }

    public static async Task<Results<Ok<TResponse>, ProblemHttpResult>> Retire(
        string key, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var entity = await db.Set<TEntity>().SingleOrDefaultAsync(e => e.Key == key, cancellationToken);
        if (entity is null)
        {
            return NotFound(key);
        }

        if (entity.RetiredAt is null)
        {
            entity.RetiredAt = entity.UpdatedAt = time.GetUtcNow();
            audit.Record(AuditType + ".retired", AuditType, key);
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(await Read(db, key, cancellationToken));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string key, HttpContext http, PrivacyDbContext db, AuditTrail audit, CancellationToken cancellationToken)
    {
        var entity = await TKind.Tracked(db).SingleOrDefaultAsync(e => e.Key == key, cancellationToken);
        if (entity is null)
        {
            return NotFound(key);
        }

        var references = await TKind.ReferencedByAsync(http, db, key, cancellationToken);
        if (references.Count > 0)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Referenced",
                detail: $"The {TKind.Singular} '{key}' is referred to by {string.Join(", ", references.Take(20))}" +
                        $"{(references.Count > 20 ? $" and {references.Count - 20} more" : "")}: retire it instead.");
        }

        db.Remove(entity);
        audit.Record(AuditType + ".deleted", AuditType, key);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<TResponse> Read(PrivacyDbContext db, string key, CancellationToken cancellationToken) =>
        await db.Set<TEntity>().AsNoTracking().Where(e => e.Key == key).Select(TKind.Projection).SingleAsync(cancellationToken);

    private static ProblemHttpResult NotFound(string key) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
            detail: $"There is no {TKind.Singular} with this key.");
}
