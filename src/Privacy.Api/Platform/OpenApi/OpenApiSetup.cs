using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Privacy.Api.Platform.Idempotency;
using Privacy.Api.Platform.Security;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Privacy.Api.Platform.OpenApi;

public static class OpenApiSetup
{
    /// <summary>
    /// The document's tags, in the order Swagger UI lists them, each with what the feature is for. Every operation's
    /// <c>.WithTags</c> names one of these (OpenApiDocumentTests checks it).
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Description)> FeatureTags =
    [
        ("Caller", "Check an API key: which key id, role and recipient the service takes it for."),
        ("Registry", "The processing registry (Art 30): data categories, purposes with their legal basis, recipients, internal " +
                     "systems, and the purpose × category × recipient links between them; the record of processing activities as JSON or CSV. " +
                     "Ops change it; every server-side key may read it."),
        ("Consent", "Consent with proof (Art 7): the purposes the banner shows, decisions and withdrawals, a subject's current " +
                    "state and full history, visitor → customer links, receipts, the published privacy policy versions, and the newsletter's " +
                    "one-click unsubscribe (RFC 8058): the e-mail system's List-Unsubscribe links and the pages they open."),
        ("Banner", "The website's consent banner: the script and stylesheet a page includes with one tag, what the banner shows " +
                   "(read with the public banner key), the policy page it links to, and a demo page in Development."),
        ("Disclosures", "The disclosure log: what personal data was given to which recipient, for which purpose and on which ground. " +
                        "Checked against the registry; append-only."),
        ("Follow-ups", "Art 19: telling the recipients that were given a customer's data to rectify, erase, anonymise or restrict it, " +
                       "or that consent was withdrawn, and their acknowledgements."),
        ("Partner feed", "For partners (recipients), with their own partner key: their stream of disclosures and follow-ups, and " +
                         "acknowledging follow-ups."),
        ("Notifier", "Ops view of webhook delivery: the recipients' and systems' endpoints and signing secrets, the relay's backlog per " +
                     "recipient, outbox messages and replay of dead letters."),
        ("Rights requests", "Data subjects' rights (Art 12–22): submit, confirm identity, reject, extend, close; the tasks fanned out to " +
                            "internal systems and their outcomes; the Art 15 access report and the Art 20 export."),
        ("Privacy center", "For people who are not signed in (no key): the public page where they make a rights request, confirm their " +
                           "e-mail address with a one-time code, and follow the request on its status page by a signed link, with the " +
                           "access report and the export to download; and, in Development, the mailbox of what the e-mail system was sent."),
        ("Retention", "How long data is kept (Art 5(1)(e)): rules per category × purpose, gaps, clock events from internal systems, " +
                      "legal holds, a customer's schedule, the dry run and the sweep."),
        ("Audit", "The append-only audit log of every change, sealed into a SHA-256 hash chain, and its verification."),
        ("Operations", "For ops and monitoring: the Prometheus scrape of the service's metrics and the dashboard with the same figures " +
                       "(rights requests open and overdue, the notifier's backlog and lag, the retention sweep, consent decisions)."),
        ("API keys", "For ops: the service's API keys at run time. Create one (shown once), list and read them (never the key), " +
                     "revoke one or set its expiry, configured keys too; in effect on every replica within seconds, audited."),
    ];

    private static readonly string ApiKeyDescription =
        "The API key goes in the `X-Api-Key` header. Each key has one role, and each operation lists the roles it allows:\n\n" +
        "- **ops** — staff in this console: everything, e.g. change the registry, read consent histories, handle rights requests, " +
        "retention, webhook endpoints, audit.\n" +
        "- **system** — internal back-end services: record disclosures, raise follow-ups, report clock events and task outcomes.\n" +
        "- **frontend** — the website's server: record and withdraw consent, read consent state, submit a signed-in customer's request.\n" +
        "- **partner** — a recipient's system, bound to that recipient: read its own feed, acknowledge its follow-ups; never consent data.\n" +
        "- **banner** — the public key in the website's pages: the banner's configuration, and consent for the visitor id it presents " +
        "only; rate-limited per client address.\n" +
        "- **metrics** — the Prometheus scrape: `GET /metrics` and nothing else.\n\n" +
        "In Development: " + string.Join(", ", DevelopmentApiKeys.Keys.Select(k =>
            $"`{k.Key}` ({k.Role}{(k.Recipient is null ? "" : $", recipient {k.Recipient}")}{(k.System is null ? "" : $", system {k.System}")})")) + ". " +
        "Elsewhere, ask for a key of your role. A missing or unknown key answers 401; a role the operation does not allow, 403.";

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
                              "consent, disclosures, rights requests and retention. Authorize with an API key (X-Api-Key).\n\n" +
                              ProblemTypeDocumentation.Catalogue(),
            });
            options.AddSecurityDefinition(ApiKeyAuthentication.Scheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyOptions.HeaderName,
                Description = ApiKeyDescription,
            });
            // Record and enum docs become schema descriptions. The file is built and published with the service
            // (GenerateDocumentationFile); without it the document just has fewer descriptions.
            var xmlDocs = Path.ChangeExtension(typeof(OpenApiSetup).Assembly.Location, ".xml");
            if (File.Exists(xmlDocs))
            {
                options.IncludeXmlComments(xmlDocs);
            }

            options.SchemaFilter<EnumSchemaFilter>();
            options.SchemaFilter<ProblemTypeSchemaFilter>();
            options.DocumentFilter<FeatureTagsDocumentFilter>();
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
            // An ops console: every feature collapsed, a filter box for tags, requests ready to send, links to one operation.
            options.DocExpansion(Swashbuckle.AspNetCore.SwaggerUI.DocExpansion.None);
            options.EnableFilter();
            options.EnableTryItOutByDefault();
            options.EnableDeepLinking();
            options.DisplayOperationId();
        });
        return app;
    }

    /// <summary>
    /// Adds what the pipeline answers around the handler: 413/415 for bodies, 503 when the database is unavailable, and
    /// for endpoints that need a key the security requirement, 401/403 and the roles allowed (first in the description).
    /// </summary>
    private sealed class AuthorizationOperationFilter : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            operation.Responses ??= new OpenApiResponses();
            OpenApiResponse Problem(string description) => new()
            {
                Description = description,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    ["application/problem+json"] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository) },
                },
            };

            if (operation.RequestBody is not null)
            {
                operation.Responses.TryAdd("413", Problem("The body is larger than the service accepts."));
                operation.Responses.TryAdd("415", Problem("The body is not JSON (send Content-Type: application/json)."));
            }

            if (!metadata.OfType<NoDatabaseMetadata>().Any())
            {
                var unavailable = Problem("The database is unavailable; nothing was changed. Retry after the `Retry-After` seconds.");
                unavailable.Headers = new Dictionary<string, IOpenApiHeader>
                {
                    ["Retry-After"] = new OpenApiHeader { Description = "Seconds to wait before retrying.", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } },
                };
                operation.Responses.TryAdd("503", unavailable);
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

            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                if (parameter.In == ParameterLocation.Query && string.IsNullOrEmpty(parameter.Description)
                    && CommonParameters.TryGetValue(parameter.Name ?? "", out var text))
                {
                    parameter.Description = text;
                }
            }

            foreach (var values in metadata.OfType<QueryValuesMetadata>())
            {
                if (operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == values.Name && p.In == ParameterLocation.Query) is { } parameter)
                {
                    parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Values.Select(v => (System.Text.Json.Nodes.JsonNode)v)] };
                    parameter.Description = values.Meanings;
                }
            }

            // Problem answers the route table declared without a description of their own say what kind of problem they are.
            foreach (var (status, response) in operation.Responses)
            {
                if (response is OpenApiResponse declared && StandardDescriptions.TryGetValue(status, out var text)
                    && (string.IsNullOrEmpty(declared.Description) || ReasonPhrases.Contains(declared.Description)))
                {
                    declared.Description = text;
                }
            }

            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Description = $"**No API key needed.**\n\n{operation.Description}".Trim();
                NameProblemTypes(operation);
                return;
            }

            // A caller must satisfy every policy on the endpoint (the group's and its own): the roles allowed are their intersection.
            var roles = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>()
                .Select(p => Policies.AllowedRoles.TryGetValue(p, out var r) ? r : [])
                .Aggregate((IEnumerable<string>?)null, (all, r) => all is null ? r : all.Intersect(r))?.ToList() ?? [];
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthentication.Scheme, context.Document)] = [],
            });
            operation.Responses.TryAdd("401", Problem("No API key, or an unknown one."));
            operation.Responses.TryAdd("403", Problem(roles.Count > 0
                ? $"The key's role may not call this endpoint (allowed: {string.Join(", ", roles)})."
                : "The key's role may not call this endpoint."));
            if (roles.Contains(Roles.Banner))
            {
                operation.Responses.TryAdd("429", Problem("With the public banner key only: this client address has used up its requests for " +
                                                          "now (Banner:RateLimitPermits per Banner:RateLimitWindow); retry after `Retry-After` seconds."));
            }

            if (roles.Count > 0)
            {
                operation.Description = $"**Roles allowed: {string.Join(", ", roles)}.**\n\n{operation.Description}".Trim();
            }

            NameProblemTypes(operation);
        }

        /// <summary>Each error answer names the problem types it can carry (the document's description says what each means).</summary>
        private static void NameProblemTypes(OpenApiOperation operation)
        {
            foreach (var (status, response) in operation.Responses ?? [])
            {
                if (response is OpenApiResponse declared && ProblemTypeDocumentation.ForStatus(status, operation.RequestBody is not null) is { } types
                    && declared.Description?.Contains("`type`", StringComparison.Ordinal) != true)
                {
                    declared.Description = $"{declared.Description?.TrimEnd()} {types}".Trim();
                }
            }
        }

        private static readonly Dictionary<string, string> StandardDescriptions = new()
        {
            ["400"] = "A parameter or field is invalid: the problem document's `errors` names each one.",
            ["404"] = "There is no such entry (problem document).",
            ["409"] = "The entry's state does not allow this (problem document; `detail` says why).",
            ["422"] = "Well-formed but refused (problem document; `detail` says why). On an endpoint that takes an " +
                      "`Idempotency-Key`, also: the key was already used for a different request.",
        };

        /// <summary>Query parameters that mean the same wherever they appear.</summary>
        private static readonly Dictionary<string, string> CommonParameters = new()
        {
            ["after"] = "Paging: the `next` of the previous page (leave out for the first page).",
            ["limit"] = $"Page size, 1–{Validation.Paging.MaxLimit} (default {Validation.Paging.DefaultLimit}).",
            ["includeRetired"] = "true to list retired entries too.",
        };

        /// <summary>What Swashbuckle writes for a status declared without a description.</summary>
        private static readonly HashSet<string> ReasonPhrases =
            ["Bad Request", "Not Found", "Conflict", "Unprocessable Entity", "Unprocessable Content"];
    }

    /// <summary>A query parameter read as text that takes only these values; <c>Meanings</c> says what each one means.</summary>
    public sealed record QueryValuesMetadata(string Name, IReadOnlyList<string> Values, string Meanings);

    /// <summary>Documents the query parameter <paramref name="name"/> as taking the values of <typeparamref name="TEnum"/>, spelt as in JSON.</summary>
    public static RouteHandlerBuilder WithQueryValues<TEnum>(this RouteHandlerBuilder builder, string name) where TEnum : struct, Enum =>
        builder.WithMetadata(new QueryValuesMetadata(name, EnumSchemaFilter.Values(typeof(TEnum)), EnumSchemaFilter.Meanings(typeof(TEnum))));

    /// <summary>Documents the query parameter <paramref name="name"/> as taking one of <paramref name="values"/> (value → meaning).</summary>
    public static RouteHandlerBuilder WithQueryValues(this RouteHandlerBuilder builder, string name, params (string Value, string Meaning)[] values) =>
        builder.WithMetadata(new QueryValuesMetadata(name, [.. values.Select(v => v.Value)],
            string.Join("\n", values.Select(v => $"- `{v.Value}`: {v.Meaning}"))));

    /// <summary>Marks an endpoint that answers without the database: it cannot answer 503.</summary>
    public sealed class NoDatabaseMetadata;

    /// <summary>Declares that the endpoint answers without touching the database (no 503 in OpenAPI).</summary>
    public static RouteHandlerBuilder AnswersWithoutDatabase(this RouteHandlerBuilder builder) => builder.WithMetadata(new NoDatabaseMetadata());
}
