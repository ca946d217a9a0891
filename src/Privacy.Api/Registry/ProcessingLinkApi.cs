using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Audit;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Validation;

namespace Privacy.Api.Registry;

/// <summary>Purpose × category × recipient links: what is processed for which purpose and disclosed to whom.</summary>
public static class ProcessingLinkApi
{
    private const string AuditType = "registry.ProcessingLink";

    private static readonly System.Linq.Expressions.Expression<Func<ProcessingLink, ProcessingLinkResponse>> Projection =
        l => new ProcessingLinkResponse(l.Id, l.PurposeKey, l.CategoryKey, l.RecipientKey, l.CreatedAt, l.RetiredAt);

    private static readonly Func<ProcessingLink, ProcessingLinkResponse> ToResponse = Projection.Compile();

    public static void Map(RouteGroupBuilder registry)
    {
        var group = registry.MapGroup("/links");

        group.MapGet("/", List)
            .WithName("ListProcessingLinks")
            .WithSummary("List purpose × category × recipient links")
            .WithDescription("Filter by purpose, category or recipient key. A link without a recipient is internal processing only. " +
                             "Active links only, unless `includeRetired=true`.")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Policies.AnyCaller);
        group.MapPost("/", Create)
            .WithName("CreateProcessingLink")
            .WithSummary("Link a data category to a purpose (and to a recipient it is disclosed to)")
            .WithDescription("Purpose, category and recipient must be active registry entries. An identical active link answers 409.")
            .WithRequestExample(new ProcessingLinkRequest("newsletter", "user.contact.email", "mail-service"))
            .WithValidation<ProcessingLinkRequest>()
            .WithIdempotency()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Ops);
        group.MapPost("/{id:long}/retire", Retire)
            .WithName("RetireProcessingLink")
            .WithSummary("Retire a link")
            .WithDescription("Links are never deleted: a retired link stays as history of the record of processing.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Ops);
    }

    public static async Task<Ok<List<ProcessingLinkResponse>>> List(PrivacyDbContext db, string? purpose, string? category,
        string? recipient, bool? includeRetired, CancellationToken cancellationToken)
    {
        var query = db.Set<ProcessingLink>().AsNoTracking();
        if (purpose is not null)
        {
            query = query.Where(l => l.PurposeKey == purpose);
        }

        if (category is not null)
        {
            query = query.Where(l => l.CategoryKey == category);
        }

        if (recipient is not null)
        {
            query = query.Where(l => l.RecipientKey == recipient);
        }

        if (includeRetired != true)
        {
            query = query.Where(l => l.RetiredAt == null);
        }

        return TypedResults.Ok(await query.OrderBy(l => l.Id).Select(Projection).ToListAsync(cancellationToken));
    }

    public static async Task<Results<Created<ProcessingLinkResponse>, ProblemHttpResult, ValidationProblem>> Create(
        ProcessingLinkRequest request, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!await db.Set<Purpose>().AnyAsync(p => p.Key == request.Purpose && p.RetiredAt == null, cancellationToken))
        {
            errors["purpose"] = ["'purpose' is not an active purpose of the registry."];
        }

        if (!await db.Set<DataCategory>().AnyAsync(c => c.Key == request.Category && c.RetiredAt == null, cancellationToken))
        {
            errors["category"] = ["'category' is not an active data category of the registry."];
        }

        if (request.Recipient is not null
            && !await db.Set<Recipient>().AnyAsync(r => r.Key == request.Recipient && r.RetiredAt == null, cancellationToken))
        {
            errors["recipient"] = ["'recipient' is not an active recipient of the registry."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var existing = await db.Set<ProcessingLink>().AsNoTracking()
            .Where(l => l.PurposeKey == request.Purpose && l.CategoryKey == request.Category
                        && l.RecipientKey == request.Recipient && l.RetiredAt == null)
            .Select(l => (long?)l.Id).FirstOrDefaultAsync(cancellationToken);
        if (existing is not null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Link exists",
                detail: $"Link {existing} already connects this purpose, category and recipient.");
        }

        var link = new ProcessingLink
        {
            PurposeKey = request.Purpose!,
            CategoryKey = request.Category!,
            RecipientKey = request.Recipient,
            CreatedAt = time.GetUtcNow(),
        };
        db.Add(link);
        await using var transaction = await db.Database.BeginUnlessInTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken); // the audit entry needs the link's id
        audit.Record(AuditType + ".created", AuditType, link.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), request);
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return TypedResults.Created($"/registry/links/{link.Id}", ToResponse(link));
    }

    public static async Task<Results<Ok<ProcessingLinkResponse>, ProblemHttpResult>> Retire(
        long id, PrivacyDbContext db, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var link = await db.Set<ProcessingLink>().SingleOrDefaultAsync(l => l.Id == id, cancellationToken);
        if (link is null)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"There is no link {id}.");
        }

        if (link.RetiredAt is null)
        {
            link.RetiredAt = time.GetUtcNow();
            audit.Record(AuditType + ".retired", AuditType, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.Ok(ToResponse(link));
    }

}
