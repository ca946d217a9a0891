using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Audit;

public static class AuditApi
{
    public static IServiceCollection AddAudit(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section)
            .Validate(o => o.BatchSize is > 0 and <= 10_000 && o.SealInterval > TimeSpan.Zero, "Audit:BatchSize must be 1–10000 and Audit:SealInterval positive.")
            .ValidateOnStart();
        services.AddScoped<AuditTrail>();
        services.AddScoped<AuditVerifier>();
        services.AddSingleton<AuditSealer>();
        services.AddHostedService<AuditSealerService>();
        return services;
    }

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/audit").WithTags("Audit").RequireAuthorization(Policies.Ops);

        group.MapGet("/entries", ListEntries)
            .WithName("ListAuditEntries")
            .WithSummary("Read the audit log")
            .WithDescription("Entries in the order they were written, oldest first, paged by id: pass the `next` value of a page as `after`. " +
                             "Filter by entity type and id to see one entry's history.");
        group.MapGet("/verify", Verify)
            .WithName("VerifyAuditChain")
            .WithSummary("Verify the audit log's seal chain")
            .WithDescription("Re-walks the SHA-256 seal chain from the first entry and names the first entry that was altered, " +
                             "rewritten or is missing. Entries are sealed within seconds of being committed; `pendingEntries` counts the rest.");
        return routes;
    }

    public static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListEntries(
        PrivacyDbContext db, long? after, int? limit, string? entityType, string? entityId, CancellationToken cancellationToken)
    {
        if (Paging.CheckLimit(limit, out var size) is { } invalid)
        {
            return invalid;
        }

        var query = db.Set<AuditEntry>().AsNoTracking().Where(e => e.Id > (after ?? 0));
        if (entityType is not null)
        {
            query = query.Where(e => e.EntityType == entityType);
        }

        if (entityId is not null)
        {
            query = query.Where(e => e.EntityId == entityId);
        }

        var entries = await query.OrderBy(e => e.Id).Take(size).ToListAsync(cancellationToken);
        var items = entries
            .Select(e => new AuditEntryResponse(e.Id, e.OccurredAt, e.ActorKeyId, e.ActorRole, e.Action, e.EntityType,
                e.EntityId, e.Details is null ? null : JsonDocument.Parse(e.Details).RootElement, e.ChainPosition, e.Seal))
            .ToList();
        return TypedResults.Ok(new AuditPage(items, items.Count == size ? items[^1].Id : null));
    }

    public static async Task<Ok<AuditVerification>> Verify(AuditVerifier verifier, CancellationToken cancellationToken) =>
        TypedResults.Ok(await verifier.VerifyAsync(cancellationToken));
}

/// <summary>One audit entry.</summary>
public sealed record AuditEntryResponse(long Id, DateTimeOffset OccurredAt, string ActorKeyId, string ActorRole, string Action,
    string EntityType, string EntityId, JsonElement? Details, long? ChainPosition, string? Seal);

/// <summary>A page of the audit log; <c>next</c> is the <c>after</c> of the next page, null at the end.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEntryResponse> Items, long? Next);
