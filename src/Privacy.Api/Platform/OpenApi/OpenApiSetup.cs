using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.Security;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.OpenApi;

public static class OpenApiSetup
{
    public static WebApplicationBuilder AddPrivacyOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "Smultronsites privacy service",
                Version = "v1",
                Description = "Makes Smultronsites AB's privacy policy true in software: the processing registry (Art 30), " +
                              "consent, disclosures, rights requests and retention. Authorize with an API key (X-Api-Key).",
            });
            options.AddSecurityDefinition(ApiKeyAuthentication.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyOptions.HeaderName,
                Description = "An API key. In Development: dev-ops-key, dev-frontend-key, dev-system-key, dev-partner-card-key.",
            });
            options.OperationFilter<AuthorizationOperationFilter>();
            options.OperationFilter<RequestExampleOperationFilter>();
            options.SupportNonNullableReferenceTypes();
            options.CustomSchemaIds(type => type.FullName?.Replace("Privacy.Api.", "", StringComparison.Ordinal).Replace('+', '.'));
        });
        return builder;
    }

    public static WebApplication UsePrivacyOpenApi(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.DocumentTitle = "Smultronsites privacy service";
            options.EnablePersistAuthorization();
            options.DisplayRequestDuration();
        });
        return app;
    }

    /// <summary>Adds the API-key requirement and the 401/403 answers to every endpoint that needs a key.</summary>
    private sealed class AuthorizationOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            operation.Responses ??= new OpenApiResponses();
            if (operation.RequestBody is not null)
            {
                operation.Responses.TryAdd("413", new OpenApiResponse { Description = "The body is larger than the service accepts (problem document)." });
                operation.Responses.TryAdd("415", new OpenApiResponse { Description = "The body is not JSON (problem document)." });
            }

            if (metadata.OfType<IdempotentEndpointMetadata>().Any())
            {
                operation.Parameters ??= [];
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = IdempotencyFilter.HeaderName,
                    In = ParameterLocation.Header,
                    Required = false,
                    Description = "Any unique string (e.g. a UUID). A retry with the same key and body returns the first answer and changes nothing.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 255 },
                });
            }

            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                return;
            }

            var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).Where(p => p is not null).ToList();
            var roles = policies.SelectMany(p => Policies.AllowedRoles.TryGetValue(p!, out var r) ? r : []).Distinct().ToList();
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.Scheme, context.Document)] = [],
            });
            operation.Responses.TryAdd("401", new OpenApiResponse { Description = "No API key, or an unknown one (problem document)." });
            operation.Responses.TryAdd("403", new OpenApiResponse { Description = "The key's role may not call this endpoint (problem document)." });
            if (roles.Count > 0)
            {
                operation.Description = $"{operation.Description}\n\nRoles allowed: {string.Join(", ", roles)}.".Trim();
            }
        }
    }
}
