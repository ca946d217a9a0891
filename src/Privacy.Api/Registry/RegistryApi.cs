using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Security;

namespace Privacy.Api.Registry;

/// <summary>The processing registry (R1, Art 30): categories, purposes, recipients, internal systems, links.</summary>
public static class RegistryApi
{
    public static IServiceCollection AddRegistry(this IServiceCollection services)
    {
        services.AddOptions<ControllerOptions>().BindConfiguration(ControllerOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Name) && !string.IsNullOrWhiteSpace(o.Email), "Controller:Name and Controller:Email are required.")
            .ValidateOnStart();
        services.AddScoped<IDatabaseSeeder, RegistrySeed>();
        services.AddScoped<RegistryCatalog>();
        return services;
    }

    public static IEndpointRouteBuilder MapRegistryApi(this IEndpointRouteBuilder routes)
    {
        var registry = routes.MapGroup("/registry").WithTags("Registry");

        RegistryEntryApi<DataCategories, DataCategory, DataCategoryRequest, DataCategoryResponse>.Map(registry);
        RegistryEntryApi<Purposes, Purpose, PurposeRequest, PurposeResponse>.Map(registry);
        RegistryEntryApi<Recipients, Recipient, RecipientRequest, RecipientResponse>.Map(registry);
        RegistryEntryApi<InternalSystems, InternalSystem, InternalSystemRequest, InternalSystemResponse>.Map(registry);
        ProcessingLinkApi.Map(registry);

        registry.MapGet("/record-of-processing", GetRecord)
            .WithName("GetRecordOfProcessing")
            .WithSummary("Export the record of processing activities (Art 30(1)) as JSON")
            .WithDescription("Controller and contact, purposes with legal basis, categories of data subjects and of personal data, " +
                             "categories of recipients, third-country transfers with safeguards, retention limits and security measures. " +
                             "Built from active entries and links only.")
            .RequireAuthorization(Policies.OpsOrSystem);
        registry.MapGet("/record-of-processing.csv", GetRecordCsv)
            .WithName("GetRecordOfProcessingCsv")
            .WithSummary("Export the record of processing activities (Art 30(1)) as CSV")
            .WithDescription("One row per purpose; lists are joined with \"; \". UTF-8, RFC 4180.")
            .Produces<string>(StatusCodes.Status200OK, "text/csv")
            .RequireAuthorization(Policies.OpsOrSystem);
        return routes;
    }

    public static async Task<Ok<RecordOfProcessingResponse>> GetRecord(PrivacyDbContext db, IOptions<ControllerOptions> controller,
        TimeProvider time, CancellationToken cancellationToken) =>
        TypedResults.Ok(await RecordOfProcessing.BuildAsync(db, controller.Value, time, cancellationToken));

    public static async Task<FileContentHttpResult> GetRecordCsv(PrivacyDbContext db, IOptions<ControllerOptions> controller,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var record = await RecordOfProcessing.BuildAsync(db, controller.Value, time, cancellationToken);
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(RecordOfProcessing.ToCsv(record))).ToArray();
        return TypedResults.File(bytes, "text/csv; charset=utf-8", $"record-of-processing-{record.GeneratedAt:yyyy-MM-dd}.csv");
    }
}
