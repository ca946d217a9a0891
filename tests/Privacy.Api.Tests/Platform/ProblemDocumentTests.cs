using System.Net;
using System.Text;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

public sealed class ProblemDocumentTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    [Fact]
    public async Task AValueOfTheWrongTypeIsNamedByItsJsonPath()
    {
        using var response = await _ops.PostAsync("/registry/categories",
            new StringContent("""{"key":"user.x","name":42}""", Encoding.UTF8, "application/json"));

        Assert.Equal(["$.name"], await response.AssertValidationErrors());
    }

    [Fact]
    public async Task AnEmptyBodyIsA400ProblemNotA500()
    {
        using var response = await _ops.PostAsync("/registry/categories", new StringContent("", Encoding.UTF8, "application/json"));

        await response.AssertProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task ANullBodyIsA400Problem()
    {
        using var response = await _ops.PostAsync("/registry/categories", new StringContent("null", Encoding.UTF8, "application/json"));

        await response.AssertProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AnUnknownRouteIsA404Problem()
    {
        using var response = await _ops.GetAsync("/registry/nothing-here/at-all");

        await response.AssertProblem(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnInvalidQueryValueIsA400Problem()
    {
        using var badBool = await _ops.GetAsync("/registry/categories?includeRetired=perhaps");
        await badBool.AssertProblem(HttpStatusCode.BadRequest);
        using var badLimit = await _ops.GetAsync("/audit/entries?limit=100000");
        Assert.Equal(["limit"], await badLimit.AssertValidationErrors());
    }

    [Fact]
    public async Task ANulCharacterInTextIsA400ProblemNotA500()
    {
        // PostgreSQL refuses U+0000 in text (22021); found by the hostile-input fuzzer.
        using var query = await _ops.GetAsync("/registry/links?purpose=x%00y");
        await query.AssertProblem(HttpStatusCode.BadRequest);
        using var body = await _ops.PostAsync("/registry/links",
            new StringContent("""{"purpose":"x\u0000y","category":"user.contact.email","recipient":"mail-service"}""", Encoding.UTF8, "application/json"));
        await body.AssertProblem(HttpStatusCode.BadRequest);
        using var audited = await _ops.PutAsync("/registry/categories/user.name",
            new StringContent("""{"key":"user.name","name":"x\u0000y"}""", Encoding.UTF8, "application/json"));
        await audited.AssertProblem(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task AProblemRepeatsNoValueTheCallerSent()
    {
        // Whatever is typed in place of a key may be personal data: neither the instance nor the detail repeats it.
        using var path = await _ops.GetAsync("/registry/categories/anna.svensson@example.com");
        var notFound = await path.AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal("/registry/categories/{key}", notFound.GetProperty("instance").GetString());
        Assert.DoesNotContain("anna.svensson", notFound.ToString());
        using var body = await _ops.PostAsync("/registry/links",
            new StringContent("""{"purpose":"198112189876","category":"user.name","recipient":"203.0.113.77"}""", Encoding.UTF8, "application/json"));
        var invalid = await body.AssertProblem(HttpStatusCode.BadRequest);
        Assert.DoesNotContain("198112189876", invalid.ToString());
        Assert.DoesNotContain("203.0.113.77", invalid.ToString());
    }

    [Fact]
    public async Task ProblemsCarryATraceIdAndNoInternals()
    {
        using var response = await _ops.PostAsync("/registry/links", new StringContent("{\"purpose\": [", Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
        Assert.True(problem.TryGetProperty("traceId", out _));
        var text = problem.ToString();
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain(" at ", text);
    }

    [Fact]
    public async Task HealthAnswersWithoutAKey()
    {
        var anonymous = factory.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        using var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    /// <summary>The only operations without a key: the banner's files, which every visitor's browser loads.</summary>
    private static readonly HashSet<string> Public =
        ["GET /banner/v1/consent.js", "GET /banner/v1/consent.css", "GET /banner/v1/policy", "GET /banner/demo"];

    [Fact]
    public async Task TheOpenApiDocumentDescribesEveryOperation()
    {
        var document = JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement;

        Assert.True(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("ApiKey", out _));
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Name: $"{o.Name.ToUpperInvariant()} {p.Name}", Operation: o.Value)))
            .ToList();
        Assert.True(operations.Count >= 30);
        foreach (var (name, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), $"{name} has no summary");
            Assert.True(operation.TryGetProperty("tags", out _), $"{name} has no tag");
            var responses = operation.GetProperty("responses");
            Assert.True(responses.EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{name} documents no success response");
            if (Public.Contains(name))
            {
                Assert.False(operation.TryGetProperty("security", out _), $"{name} is public but documents a key");
                continue;
            }

            Assert.True(responses.TryGetProperty("401", out _) && responses.TryGetProperty("403", out _), $"{name} documents no 401/403");
            Assert.True(operation.TryGetProperty("security", out _), $"{name} has no security requirement");
            if (operation.TryGetProperty("requestBody", out var body))
            {
                var example = body.GetProperty("content").GetProperty("application/json").GetProperty("example");
                Assert.Equal(JsonValueKind.Object, example.ValueKind);
            }
        }
    }
}
