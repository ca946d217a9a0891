using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Security.ApiKeys;

namespace Privacy.Api.Registry;

/// <summary>
/// What differs between the kinds of registry entry (categories, purposes, recipients, internal
/// systems); <see cref="RegistryEntryApi{TKind,TEntity,TRequest,TResponse}"/> serves them all alike.
/// </summary>
public interface IRegistryKind<TEntity, TRequest, TResponse>
    where TEntity : RegistryEntry
    where TRequest : IRegistryRequest
{
    /// <summary>Route segment under /registry, e.g. <c>categories</c>.</summary>
    static abstract string Segment { get; }

    /// <summary>Name in summaries, e.g. <c>data category</c>.</summary>
    static abstract string Singular { get; }

    /// <summary>Name in operation ids, e.g. <c>DataCategory</c>.</summary>
    static abstract string OperationName { get; }

    static abstract Expression<Func<TEntity, TResponse>> Projection { get; }

    /// <summary>The example request body shown in Swagger UI.</summary>
    static abstract TRequest Example { get; }

    static abstract IQueryable<TEntity> Tracked(PrivacyDbContext db);

    static abstract TEntity Create(TRequest request);

    /// <summary>Copies the request's fields (not the key) onto the entry.</summary>
    static abstract void Apply(TRequest request, TEntity entity);

    /// <summary>Field errors for references the request makes to unknown or retired entries.</summary>
    static abstract Task<Dictionary<string, string[]>> CheckReferencesAsync(PrivacyDbContext db, TRequest request, CancellationToken cancellationToken);

    /// <summary>What the audit log keeps of a request: registry fields, minus anything that may be personal data.</summary>
    static virtual object AuditDetails(TRequest request) => request;

    /// <summary>What refers to the entry (and so forbids deleting it).</summary>
    static abstract Task<List<string>> ReferencedByAsync(HttpContext http, PrivacyDbContext db, string key, CancellationToken cancellationToken);
}

public sealed class DataCategories : IRegistryKind<DataCategory, DataCategoryRequest, DataCategoryResponse>
{
    public static string Segment => "categories";

    public static string Singular => "data category";

    public static string OperationName => "DataCategory";

    public static Expression<Func<DataCategory, DataCategoryResponse>> Projection { get; } =
        e => new DataCategoryResponse(e.Key, e.Name, e.Description, e.CreatedAt, e.UpdatedAt, e.RetiredAt,
            e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn, RegistryTexts.Missing(e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn));

    public static DataCategoryRequest Example { get; } = new("user.contact.address", "Postal address", "Where invoices are sent.",
        "Postadress", "Postal address", "Adressen dit vi skickar dina fakturor.", "The address we send your invoices to.");

    public static IQueryable<DataCategory> Tracked(PrivacyDbContext db) => db.Set<DataCategory>();

    public static DataCategory Create(DataCategoryRequest request) => new() { Key = request.Key!, Name = request.Name! };

    public static void Apply(DataCategoryRequest request, DataCategory entity)
    {
        entity.Name = request.Name!;
        entity.Description = request.Description;
        request.ApplyTexts(entity);
    }

    public static Task<Dictionary<string, string[]>> CheckReferencesAsync(PrivacyDbContext db, DataCategoryRequest request,
        CancellationToken cancellationToken) => Task.FromResult(new Dictionary<string, string[]>());

    public static async Task<List<string>> ReferencedByAsync(HttpContext http, PrivacyDbContext db, string key, CancellationToken cancellationToken) =>
    [
        .. await db.Set<ProcessingLink>().Where(l => l.CategoryKey == key).Select(l => "link " + l.Id).ToListAsync(cancellationToken),
        .. await db.Set<InternalSystemCategory>().Where(c => c.CategoryKey == key).Select(c => "internal system " + c.SystemKey).ToListAsync(cancellationToken),
    ];
}

public sealed class Purposes : IRegistryKind<Purpose, PurposeRequest, PurposeResponse>
{
    public static string Segment => "purposes";

    public static string Singular => "purpose";

    public static string OperationName => "Purpose";

    public static Expression<Func<Purpose, PurposeResponse>> Projection { get; } =
        e => new PurposeResponse(e.Key, e.Name, e.Description, e.LegalBasis, e.DataSubjects, e.ConsentChannels, e.Retention, e.AlwaysOn,
            e.LimitedByGpc, e.CreatedAt, e.UpdatedAt, e.RetiredAt, e.DirectMarketing, e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn,
            RegistryTexts.Missing(e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn));

    public static PurposeRequest Example { get; } = new("reviews", "Publish guests' reviews of guided tours",
        "Reviews a customer submits for publication.", LegalBasis.Consent, [DataSubjectType.Customer], "Until consent is withdrawn.",
        ConsentChannels: [Consent.ConsentChannel.SettingsPage, Consent.ConsentChannel.SignupForm, Consent.ConsentChannel.Ops],
        NameSv: "Publicering av omdömen om guidade turer", NameEn: "Publishing reviews of guided tours",
        DescriptionSv: "Vi publicerar ditt omdöme på webbplatsen om du ger oss tillstånd.",
        DescriptionEn: "We publish your review on the website if you give us permission.");

    public static IQueryable<Purpose> Tracked(PrivacyDbContext db) => db.Set<Purpose>();

    public static Purpose Create(PurposeRequest request) => new() { Key = request.Key!, Name = request.Name! };

    public static void Apply(PurposeRequest request, Purpose entity)
    {
        entity.Name = request.Name!;
        entity.Description = request.Description;
        request.ApplyTexts(entity);
        entity.LegalBasis = request.LegalBasis!.Value;
        entity.DataSubjects = [.. request.DataSubjects!];
        entity.ConsentChannels = [.. request.ConsentChannels ?? []];
        entity.Retention = request.Retention;
        entity.AlwaysOn = request.AlwaysOn;
        entity.LimitedByGpc = request.LimitedByGpc;
        entity.DirectMarketing = request.DirectMarketing;
    }

    public static Task<Dictionary<string, string[]>> CheckReferencesAsync(PrivacyDbContext db, PurposeRequest request,
        CancellationToken cancellationToken) => Task.FromResult(new Dictionary<string, string[]>());

    public static Task<List<string>> ReferencedByAsync(HttpContext http, PrivacyDbContext db, string key, CancellationToken cancellationToken) =>
        db.Set<ProcessingLink>().Where(l => l.PurposeKey == key).Select(l => "link " + l.Id).ToListAsync(cancellationToken);
}

public sealed class Recipients : IRegistryKind<Recipient, RecipientRequest, RecipientResponse>
{
    public static string Segment => "recipients";

    public static string Singular => "recipient";

    public static string OperationName => "Recipient";

    public static Expression<Func<Recipient, RecipientResponse>> Projection { get; } =
        e => new RecipientResponse(e.Key, e.Name, e.Description, e.Kind, e.Country, !Countries.IsEea(e.Country),
            e.TransferSafeguard, e.Contact, e.CreatedAt, e.UpdatedAt, e.RetiredAt, e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn, RegistryTexts.Missing(e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn));

    public static RecipientRequest Example { get; } = new("mail-service", "E-mail service provider", "Sends the newsletter.",
        RecipientKind.Processor, "IE", null, "privacy@mail-service.example", "Vår leverantör av e-posttjänster", "Our e-mail service provider",
        "Skickar nyhetsbrevet åt oss.", "Sends the newsletter for us.");

    public static IQueryable<Recipient> Tracked(PrivacyDbContext db) => db.Set<Recipient>();

    public static Recipient Create(RecipientRequest request) =>
        new() { Key = request.Key!, Name = request.Name!, Country = request.Country! };

    public static void Apply(RecipientRequest request, Recipient entity)
    {
        entity.Name = request.Name!;
        entity.Description = request.Description;
        request.ApplyTexts(entity);
        entity.Kind = request.Kind!.Value;
        entity.Country = request.Country!;
        entity.TransferSafeguard = request.TransferSafeguard;
        entity.Contact = request.Contact;
    }

    // A contact address may name a person: the audit log records only whether one was given.
    public static object AuditDetails(RecipientRequest request) => request with { Contact = request.Contact is null ? null : "(given)" };

    public static Task<Dictionary<string, string[]>> CheckReferencesAsync(PrivacyDbContext db, RecipientRequest request,
        CancellationToken cancellationToken) => Task.FromResult(new Dictionary<string, string[]>());

    public static async Task<List<string>> ReferencedByAsync(HttpContext http, PrivacyDbContext db, string key, CancellationToken cancellationToken)
    {
        // Configured and stored keys not revoked (Platform/Security/ApiKeys).
        var keys = http.RequestServices.GetRequiredService<ApiKeyStore>().Grants;
        return
        [
            .. await db.Set<ProcessingLink>().Where(l => l.RecipientKey == key).Select(l => "link " + l.Id).ToListAsync(cancellationToken),
            .. keys.Where(k => k.Recipient == key).Select(k => "partner API key " + k.Id),
        ];
    }
}

public sealed class InternalSystems : IRegistryKind<InternalSystem, InternalSystemRequest, InternalSystemResponse>
{
    public static string Segment => "systems";

    public static string Singular => "internal system";

    public static string OperationName => "InternalSystem";

    public static Expression<Func<InternalSystem, InternalSystemResponse>> Projection { get; } =
        e => new InternalSystemResponse(e.Key, e.Name, e.Description,
            e.Categories.OrderBy(c => c.CategoryKey).Select(c => c.CategoryKey).ToList(), e.CreatedAt, e.UpdatedAt, e.RetiredAt,
            e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn, RegistryTexts.Missing(e.NameSv, e.NameEn, e.DescriptionSv, e.DescriptionEn));

    public static InternalSystemRequest Example { get; } = new("crm", "Customer relations", "Customer cases and their correspondence.",
        ["user.name", "user.contact.email", "user.content.private"], "Kundrelationer", "Customer relations",
        "Dina ärenden hos oss och vår korrespondens om dem.", "Your cases with us and our correspondence about them.");

    public static IQueryable<InternalSystem> Tracked(PrivacyDbContext db) => db.Set<InternalSystem>().Include(s => s.Categories);

    public static InternalSystem Create(InternalSystemRequest request) => new() { Key = request.Key!, Name = request.Name! };

    public static void Apply(InternalSystemRequest request, InternalSystem entity)
    {
        entity.Name = request.Name!;
        entity.Description = request.Description;
        request.ApplyTexts(entity);
        entity.Categories.RemoveAll(c => !request.Categories!.Contains(c.CategoryKey));
        entity.Categories.AddRange(request.Categories!
            .Where(k => entity.Categories.All(c => c.CategoryKey != k))
            .Select(k => new InternalSystemCategory { SystemKey = entity.Key, CategoryKey = k }));
    }

    public static async Task<Dictionary<string, string[]>> CheckReferencesAsync(PrivacyDbContext db, InternalSystemRequest request,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var categories = request.Categories ?? [];
        var active = await db.Set<DataCategory>().Where(c => categories.Contains(c.Key) && c.RetiredAt == null)
            .Select(c => c.Key).ToListAsync(cancellationToken);
        for (var i = 0; i < categories.Count; i++)
        {
            if (!active.Contains(categories[i]))
            {
                errors[$"categories[{i}]"] = ["Not an active data category of the registry."];
            }
        }

        return errors;
    }

    public static Task<List<string>> ReferencedByAsync(HttpContext http, PrivacyDbContext db, string key, CancellationToken cancellationToken) =>
        Task.FromResult(new List<string>());
}
