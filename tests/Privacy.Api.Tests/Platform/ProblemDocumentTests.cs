using System.Net;
using System.Text;
using System.Text.Json;
using Privacy.Api.Platform.Problems;
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

    [Theory]
    [InlineData("", "application/json")]
    [InlineData("null", "application/json")]
    [InlineData(null, null)]
    public async Task AnEmptyNullOrMissingBodyIsABodyRequiredProblemNamingNothingInternal(string? body, string? contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/registry/categories");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType!);
        }

        using var response = await _ops.SendAsync(request);

        var problem = await response.AssertProblem(ProblemTypes.BodyRequired);
        Assert.Equal("A JSON body is required.", problem.GetProperty("detail").GetString());
        Assert.Equal(["$"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.DoesNotContain("parameter", problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("/retention/dry-run?at=notadate", "at", "'at' must be an instant such as 2026-11-25T10:00:00Z.")]
    [InlineData("/audit/entries?limit=abc", "limit", "'limit' must be a whole number from -2147483648 to 2147483647.")]
    [InlineData("/registry/categories?includeRetired=perhaps", "includeRetired", "'includeRetired' must be true or false.")]
    public async Task AQueryValueThatDoesNotBindNamesTheParameterAndItsFormNeverATypeOrTheValue(string url, string parameter, string message)
    {
        using var response = await _ops.GetAsync(url);

        var problem = await response.AssertProblem(ProblemTypes.Validation);
        Assert.Equal(message, problem.GetProperty("detail").GetString());
        Assert.Equal([message], problem.GetProperty("errors").GetProperty(parameter).EnumerateArray().Select(e => e.GetString()));
        var text = problem.GetRawText();
        Assert.DoesNotContain("Nullable", text);
        Assert.DoesNotContain("Failed to bind", text);
        Assert.DoesNotContain(url[(url.IndexOf('=') + 1)..], text); // the value sent is never repeated
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("garbage/garbage")]
    [InlineData(null)]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=no-such-charset")]
    public async Task ABodyNotSentAsUtf8JsonIs415WithADetailAndChangesNothing(string? contentType)
    {
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.data_categories");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/registry/categories")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"key":"user.fuzz415","name":"x"}""")),
        };
        request.Content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);

        using var response = await _ops.SendAsync(request);

        var problem = await response.AssertProblem(ProblemTypes.UnsupportedMediaType);
        Assert.StartsWith("Send the body as application/json", problem.GetProperty("detail").GetString());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.data_categories"));
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json;charset=utf8")]
    public async Task AUtf8BodyIsReadHoweverItsCharsetIsSpelt(string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/registry/categories")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes($$"""{"key":"user.charset{{contentType.Length}}","name":"x"}""")),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await _ops.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task EachKindOfProblemCarriesItsDocumentedType()
    {
        using var create = await _ops.PostAsync("/registry/categories",
            new StringContent("""{"key":"user.kinds","name":"Kinds"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var answers = new List<(ProblemType Kind, Func<Task<HttpResponseMessage>> Send)>
        {
            (ProblemTypes.Unauthorized, () => factory.Client(null).GetAsync("/registry/purposes")),
            (ProblemTypes.Forbidden, () => factory.Client(Roles.Partner).GetAsync("/requests")),
            (ProblemTypes.NotFound, () => _ops.GetAsync("/registry/categories/user.no-such-key")),
            (ProblemTypes.NotFound, () => _ops.GetAsync("/no/such/path")),
            (ProblemTypes.MethodNotAllowed, () => _ops.PatchAsync("/registry/categories", null)),
            (ProblemTypes.Validation, () => _ops.GetAsync("/audit/entries?limit=100000")),
            (ProblemTypes.MalformedJson, () => _ops.PostAsync("/registry/categories", Json("""{"key": """))),
            (ProblemTypes.DuplicateKey, () => _ops.PostAsync("/registry/categories", Json("""{"key":"user.a","key":"user.b","name":"x"}"""))),
            (ProblemTypes.BodyRequired, () => _ops.PostAsync("/registry/categories", Json(""))),
            (ProblemTypes.InvalidCharacter, () => _ops.GetAsync("/registry/links?purpose=x%00y")),
            (ProblemTypes.Conflict, () => _ops.PostAsync("/registry/categories", Json("""{"key":"user.kinds","name":"Kinds"}"""))),
            (ProblemTypes.PayloadTooLarge, () => _ops.PostAsync("/registry/categories", Json(new string(' ', 2 * 1024 * 1024) + "{}"))),
            (ProblemTypes.UnsupportedMediaType, () => _ops.PostAsync("/registry/categories", new StringContent("{}", Encoding.UTF8, "text/plain"))),
        };

        foreach (var (kind, send) in answers)
        {
            using var response = await send();
            var problem = await response.AssertProblem(kind);
            Assert.DoesNotMatch(HttpAssertions.ProblemInternals(), problem.GetRawText());
        }
    }

    [Fact]
    public async Task TheOpenApiDocumentListsEveryProblemTypeAndEachErrorAnswerNamesItsOwn()
    {
        var document = JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement;

        var description = document.GetProperty("info").GetProperty("description").GetString()!;
        var typeProperty = document.GetProperty("components").GetProperty("schemas").EnumerateObject()
            .Single(s => s.Name.EndsWith(".ProblemDetails", StringComparison.Ordinal)).Value.GetProperty("properties").GetProperty("type");
        foreach (var kind in ProblemTypes.All)
        {
            Assert.Contains($"`{kind.Uri}` ({kind.Status}): {kind.Detail}", description);
            Assert.Contains(kind.Uri, typeProperty.GetProperty("description").GetString());
        }

        var create = document.GetProperty("paths").GetProperty("/registry/categories").GetProperty("post").GetProperty("responses");
        Assert.Contains(ProblemTypes.DuplicateKey.Uri, create.GetProperty("400").GetProperty("description").GetString());
        Assert.Contains(ProblemTypes.UnsupportedMediaType.Uri, create.GetProperty("415").GetProperty("description").GetString());
        Assert.Contains(ProblemTypes.Unauthorized.Uri, create.GetProperty("401").GetProperty("description").GetString());
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

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    /// <summary>
    /// The only operations without a key: the banner's files, which every visitor's browser loads; the pages a signed
    /// unsubscribe link opens, which the mail client posts to without credentials (RFC 8058); and the privacy center.
    /// </summary>
    private static readonly HashSet<string> Public =
        ["GET /banner/v1/consent.js", "GET /banner/v1/consent.css", "GET /banner/v1/policy", "GET /banner/demo", "GET /unsubscribe/{token}",
         "POST /unsubscribe/{token}",
         // The privacy center is for people without a key; each of its requests is opened by its code or its signed link instead.
         "GET /privacy-center", "GET /privacy-center/privacy-center.js", "GET /privacy-center/privacy-center.css", "GET /privacy-center/config",
         "POST /privacy-center/requests", "POST /privacy-center/requests/{id}/verification", "POST /privacy-center/requests/{id}/code",
         "GET /privacy-center/status/{token}", "GET /privacy-center/status/{token}/report", "GET /privacy-center/status/{token}/export",
         "GET /development/mailbox"];

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
