using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.OpenApi;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Swagger UI is the ops console: every operation of the OpenAPI document must say what it does, for whom, what to send
/// and what comes back. Each test lists every shortfall at once, naming the operation.
/// </summary>
public sealed partial class OpenApiDocumentTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public async Task EveryOperationIsTaggedSummarisedDescribedAndAnswersAreDeclared()
    {
        var document = await DocumentAsync();
        var tags = DeclaredTags(document);
        // Endpoints marked .AnswersWithoutDatabase() cannot answer 503; every other one can.
        var withoutDatabase = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .Where(e => e.Metadata.GetMetadata<OpenApiSetup.NoDatabaseMetadata>() is not null)
            .Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName).ToHashSet();
        var failures = new List<string>();
        var operations = 0;
        foreach (var (name, operation) in Operations(document))
        {
            operations++;
            void Fail(string what) => failures.Add($"{name}: {what}");

            var operationTags = operation.TryGetProperty("tags", out var t) ? t.EnumerateArray().Select(x => x.GetString()!).ToList() : [];
            if (operationTags.Count != 1)
            {
                Fail($"has {operationTags.Count} tags, wants exactly one (.WithTags on the group)");
            }
            else if (!tags.TryGetValue(operationTags[0], out var tagDescription) || string.IsNullOrWhiteSpace(tagDescription))
            {
                Fail($"tag '{operationTags[0]}' is not declared with a description in the document's tag list (OpenApiSetup.FeatureTags)");
            }

            if (string.IsNullOrWhiteSpace(Text(operation, "operationId")))
            {
                Fail("no operationId (.WithName)");
            }

            if (string.IsNullOrWhiteSpace(Text(operation, "summary")))
            {
                Fail("no summary (.WithSummary)");
            }

            var description = Text(operation, "description");
            if (string.IsNullOrWhiteSpace(string.Concat(description.Split('\n').Where(l => !l.Contains("Roles allowed:", StringComparison.Ordinal)))))
            {
                Fail("no description of its own (.WithDescription)");
            }

            var responses = operation.GetProperty("responses");
            var hasBody = operation.TryGetProperty("requestBody", out var body);
            if (hasBody)
            {
                foreach (var media in body.GetProperty("content").EnumerateObject().Where(m => m.Name.Contains("json", StringComparison.Ordinal)))
                {
                    if (!media.Value.TryGetProperty("example", out var example) || example.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                    {
                        Fail($"request body {media.Name} has no example (.WithRequestExample)");
                    }
                }
            }

            var successes = responses.EnumerateObject().Where(r => r.Name.StartsWith('2')).ToList();
            if (!successes.Any(r => r.Name == "204" || r.Value.TryGetProperty("content", out var content)
                    && content.EnumerateObject().Any() && content.EnumerateObject().All(m => m.Value.TryGetProperty("schema", out _))))
            {
                Fail("no 2xx answer with a schema, nor a 204 (typed results or .Produces<T>)");
            }

            foreach (var response in responses.EnumerateObject())
            {
                if (string.IsNullOrWhiteSpace(Text(response.Value, "description")))
                {
                    Fail($"response {response.Name} has no description");
                }

                if (response.Name[0] is '4' or '5' && (!response.Value.TryGetProperty("content", out var content)
                        || !content.EnumerateObject().Any(m => m.Name == "application/problem+json")))
                {
                    Fail($"response {response.Name} is not declared as a problem document (application/problem+json)");
                }
            }

            if (!operation.TryGetProperty("security", out var security) || security.GetArrayLength() == 0)
            {
                // Anonymous (AllowAnonymous): fine, but it must say so, and cannot answer 401/403.
                if (!description.Contains("No API key needed", StringComparison.Ordinal))
                {
                    Fail("no security requirement, and the description does not say that no key is needed");
                }

                foreach (var status in new[] { "401", "403" }.Where(s => responses.TryGetProperty(s, out _)))
                {
                    Fail($"needs no key but declares {status}");
                }
            }
            else
            {
                foreach (var status in new[] { "401", "403" }.Where(s => !responses.TryGetProperty(s, out _)))
                {
                    Fail($"no {status} answer");
                }

                if (!description.Contains("Roles allowed:", StringComparison.Ordinal))
                {
                    Fail("the description does not say which roles may call it");
                }
            }

            // A body or a query or header parameter can be malformed (a bool that is not one, a number out of range). A path
            // parameter only when the handler checks it (it then returns ValidationProblem, which declares the 400 itself): a
            // number or UUID that is not one fails the route constraint (404), and a free-text key is looked up as it is (404).
            var canBeMalformed = hasBody || operation.TryGetProperty("parameters", out var parameters)
                && parameters.EnumerateArray().Any(p => Text(p, "in") != "path");
            if (canBeMalformed && !responses.TryGetProperty("400", out _))
            {
                Fail("takes parameters or a body but declares no 400 (.ProducesValidationProblem, .WithValidation<T>, or .ProducesProblem(400) for binding)");
            }

            if (!responses.TryGetProperty("503", out _) && !withoutDatabase.Contains(Text(operation, "operationId")))
            {
                Fail("no 503 (the database is unavailable)");
            }
        }

        Assert.True(operations >= 80, $"only {operations} operations in the document");
        Assert.True(failures.Count == 0, $"{failures.Count} shortfalls:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task EveryDeclaredTagHasADescriptionAndOperations()
    {
        var document = await DocumentAsync();
        var used = Operations(document).SelectMany(o => o.Operation.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)).ToHashSet();
        var declared = DeclaredTags(document);

        Assert.Empty(declared.Where(t => string.IsNullOrWhiteSpace(t.Value)).Select(t => $"tag '{t.Key}' has no description"));
        Assert.Empty(declared.Keys.Except(used).Select(t => $"tag '{t}' is declared but no operation has it"));
        Assert.Empty(used.Except(declared.Keys).Select(t => $"tag '{t}' is used but not declared"));
        Assert.Equal(["Caller", "Registry", "Consent"], declared.Keys.Take(3));
    }

    [Fact]
    public async Task EveryEnumIsDocumentedWithItsSnakeCaseValuesAndWhatEachMeans()
    {
        var document = await DocumentAsync();
        var failures = new List<string>();
        var enums = 0;
        foreach (var schema in document.GetProperty("components").GetProperty("schemas").EnumerateObject())
        {
            if (!schema.Value.TryGetProperty("enum", out var values))
            {
                continue;
            }

            enums++;
            if (Text(schema.Value, "type") != "string")
            {
                failures.Add($"{schema.Name}: type is not string");
            }

            var description = Text(schema.Value, "description");
            foreach (var value in values.EnumerateArray())
            {
                var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
                if (!SnakeCase().IsMatch(text))
                {
                    failures.Add($"{schema.Name}: value {text} is not a snake_case string");
                }

                // Each value on a line of its own with what it means: "- `never_asked`: …".
                var line = description.Split('\n').FirstOrDefault(l => l.Contains($"`{text}`: ", StringComparison.Ordinal));
                if (line is null || string.IsNullOrWhiteSpace(line[(line.IndexOf($"`{text}`: ", StringComparison.Ordinal) + text.Length + 4)..]))
                {
                    failures.Add($"{schema.Name}: the description does not say what `{text}` means");
                }
            }
        }

        Assert.True(enums >= 15, $"only {enums} enum schemas in the document");
        Assert.True(failures.Count == 0, $"{failures.Count} shortfalls:\n" + string.Join('\n', failures));
    }

    [Fact]
    public async Task TheAuthorizeDialogSaysWhichKeyIsForWhat()
    {
        var document = await DocumentAsync();
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Single().Value;

        Assert.Equal("apiKey", Text(scheme, "type"));
        Assert.Equal("header", Text(scheme, "in"));
        Assert.Equal("X-Api-Key", Text(scheme, "name"));
        var description = Text(scheme, "description");
        Assert.All(["ops", "system", "frontend", "partner", "dev-ops-key", "dev-partner-card-key"],
            word => Assert.Contains(word, description, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SwaggerUiOpensCollapsedWithAFilterTryItOutAndDeepLinks()
    {
        var client = factory.Client(null);
        var page = await client.GetStringAsync("/swagger/index.html");
        var script = await client.GetAsync("/swagger/index.js") is { IsSuccessStatusCode: true } js ? await js.Content.ReadAsStringAsync() : "";
        var config = page + script;

        Assert.Contains("\"docExpansion\":\"none\"", config, StringComparison.Ordinal);
        Assert.Contains("\"filter\":\"\"", config, StringComparison.Ordinal);
        Assert.Contains("\"tryItOutEnabled\":true", config, StringComparison.Ordinal);
        Assert.Contains("\"persistAuthorization\":true", config, StringComparison.Ordinal);
        Assert.Contains("\"deepLinking\":true", config, StringComparison.Ordinal);
        Assert.Contains("\"displayOperationId\":true", config, StringComparison.Ordinal);
    }

    private async Task<JsonElement> DocumentAsync() =>
        JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement;

    private static Dictionary<string, string> DeclaredTags(JsonElement document) =>
        document.TryGetProperty("tags", out var tags)
            ? tags.EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!, t => Text(t, "description"))
            : [];

    private static IEnumerable<(string Name, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(o => Methods.Contains(o.Name))
            .Select(o => ($"{o.Name.ToUpperInvariant()} {path.Name}", o.Value)));

    private static string Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    [GeneratedRegex("^[a-z][a-z0-9]*(_[a-z0-9]+)*$")]
    private static partial Regex SnakeCase();
}
