using System.Net;
using System.Text;
using System.Text.Json;
using Npgsql;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Registry;

public sealed class IdempotencyTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private HttpRequestMessage Post(string url, string json, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    [Fact]
    public async Task ARetryWithTheSameKeyReturnsTheFirstAnswerAndChangesNothing()
    {
        const string body = """{"purpose":"newsletter","category":"user.demographic.profile"}""";

        using var first = await _ops.SendAsync(Post("/registry/links", body, "retry-1"));
        using var second = await _ops.SendAsync(Post("/registry/links", body, "retry-1"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.processing_links WHERE purpose_key = 'newsletter' AND category_key = 'user.demographic.profile'"));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.audit_entries WHERE action = 'registry.ProcessingLink.created'"));
    }

    [Fact]
    public async Task ConcurrentDuplicatesCreateOneEntry()
    {
        const string body = """{"key":"user.concurrent","name":"Concurrent"}""";

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _ops.SendAsync(Post("/registry/categories", body, "concurrent-1"))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(1, await factory.ScalarAsync("SELECT count(*) FROM privacy.data_categories WHERE key = 'user.concurrent'"));
    }

    [Fact]
    public async Task TheSameKeyWithAnotherRequestIsRefused()
    {
        using var first = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.first","name":"First"}""", "reused-1"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var other = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.second","name":"Second"}""", "reused-1"));

        await other.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.data_categories WHERE key = 'user.second'"));
    }

    [Fact]
    public async Task AFailedRequestDoesNotUseUpItsKey()
    {
        using var invalid = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.later","name":""}""", "fix-and-retry"));
        await invalid.AssertValidationErrors();
        using var conflict = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.name","name":"Name"}""", "conflict-key"));
        await conflict.AssertProblem(HttpStatusCode.Conflict);

        using var corrected = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.later","name":"Later"}""", "fix-and-retry"));

        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.idempotency_records WHERE idempotency_key = 'conflict-key'"));
    }

    [Fact]
    public async Task KeysAreScopedToTheCaller()
    {
        await using var connection = await factory.OpenDatabaseAsync();
        using var first = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.scoped","name":"Scoped"}""", "shared-key"));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        var record = await new NpgsqlCommand("SELECT caller_key_id FROM privacy.idempotency_records WHERE idempotency_key = 'shared-key'", connection)
            .ExecuteScalarAsync();

        Assert.Equal("test-ops", record);
    }

    [Fact]
    public async Task AnInvalidKeyIsRefusedNamingTheHeader()
    {
        using var response = await _ops.SendAsync(Post("/registry/categories", """{"key":"user.x","name":"X"}""", new string('k', 300)));

        Assert.Equal(["Idempotency-Key"], await response.AssertValidationErrors());
    }
}
