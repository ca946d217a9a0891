using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Privacy.Api.Audit;
using Privacy.Api.Banner;
using Privacy.Api.Consent;
using Privacy.Api.Disclosures;
using Privacy.Api.Notifications;
using Privacy.Api.Operations;
using Privacy.Api.Platform.Database;
using Privacy.Api.Platform.Hosting;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.Keys;
using Privacy.Api.Platform.Logging;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.Platform.Security.ApiKeys;
using Privacy.Api.Platform.Validation;
using Privacy.Api.PrivacyCenter;
using Privacy.Api.Registry;
using Privacy.Api.Requests;
using Privacy.Api.Retention;

namespace Privacy.Api;

/// <summary>Composition of the service: each feature registers itself with one Add/Map pair.</summary>
public static class PrivacyServices
{
    public static WebApplicationBuilder AddPrivacyServices(this WebApplicationBuilder builder)
    {
        builder.AddPrivacyLogging();
        builder.AddTrustedProxies();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.ConfigureHttpJsonOptions(options => ConfigureJson(options.SerializerOptions));
        builder.Services.Configure<Microsoft.AspNetCore.Mvc.JsonOptions>(options => ConfigureJson(options.JsonSerializerOptions));
        builder.AddProblemHandling();
        builder.AddPrivacyDatabase();
        builder.Services.AddDataKeys();
        builder.Services.AddFailClosedSettings();
        builder.AddApiKeyAuthentication();
        builder.AddPrivacyOpenApi();
        builder.Services.AddRequestValidation();

        builder.Services.AddAudit();
        builder.Services.AddRegistry();
        builder.Services.AddConsent();
        builder.Services.AddBanner();
        builder.Services.AddDisclosures();
        builder.AddNotifications();
        builder.Services.AddRequests();
        builder.Services.AddPrivacyCenter();
        builder.Services.AddRetention();
        builder.AddOperations();
        return builder;
    }

    public static WebApplication UsePrivacyPipeline(this WebApplication app)
    {
        app.UseTrustedProxies(); // before anything reads the client's address (the banner's rate limit, the consent proof)
        app.UseRequestLogging();
        app.UseProblemHandling();
        app.UsePrivacyOpenApi();
        app.UseCors(); // the website's pages calling with the banner key (Banner:AllowedOrigins)
        app.UseAuthentication();
        app.UseRateLimiter(); // after authentication: only the banner's public key is limited, per client address
        app.UseAuthorization();
        app.UseIdempotencyBuffering();
        if (app.Environment.IsDevelopment())
        {
            app.Lifetime.ApplicationStarted.Register(() => PrintDevelopmentBanner(app));
        }

        return app;
    }

    public static WebApplication MapPrivacyApi(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") }).AllowAnonymous();
        app.MapCallerApi();
        app.MapApiKeyApi();
        app.MapRegistryApi();
        app.MapConsentApi();
        app.MapBannerApi();
        app.MapDisclosureApi();
        app.MapFollowUpApi();
        app.MapPartnerFeedApi();
        app.MapNotifierApi();
        app.MapRequestApi();
        app.MapPrivacyCenterApi();
        app.MapRetentionApi();
        app.MapAuditApi();
        app.MapOperationsApi();
        app.MapDataKeyApi();
        return app;
    }

    /// <summary>
    /// snake_case enum values as strings (numbers are not accepted for enums); a field the request does not have is
    /// refused rather than silently dropped, so a misspelt field never goes unnoticed.
    /// </summary>
    private static void ConfigureJson(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        // A key given twice is refused: a proxy, firewall or log that reads the first value would see another decision than
        // the one stored from the last (subject, status, policyVersion, proof).
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new UtcDateTimeOffsetConverter());
    }

    /// <summary>
    /// An instant sent with any offset (<c>2026-12-31T23:30:00+01:00</c>) is that instant: taken as UTC, which is all PostgreSQL's
    /// timestamptz stores (Npgsql refuses to write another offset, which would otherwise end as a 500).
    /// </summary>
    private sealed class UtcDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
    {
        public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var value)
                ? value.ToUniversalTime()
                : throw new JsonException(); // the path and the problem document come from the usual handling

        public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private static void PrintDevelopmentBanner(WebApplication app)
    {
        var url = app.Urls.FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal)) ?? app.Urls.FirstOrDefault();
        Console.WriteLine();
        Console.WriteLine($"  Swagger UI:  {url}/swagger");
        Console.WriteLine($"  Banner demo: {url}/banner/demo");
        Console.WriteLine($"  Privacy center: {url}/privacy-center   (its e-mails: {url}/development/mailbox)");
        Console.WriteLine("  Development API keys (header X-Api-Key; use Authorize in Swagger UI):");
        foreach (var (key, _, role, recipient, system) in DevelopmentApiKeys.Keys)
        {
            Console.WriteLine($"    {key,-28} role {role}{(recipient is null ? "" : $" (recipient {recipient})")}{(system is null ? "" : $" (system {system})")}");
        }

        Console.WriteLine();
    }
}
