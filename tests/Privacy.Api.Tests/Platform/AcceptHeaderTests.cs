using System.Net.Http.Headers;
using System.Text.Json;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>Every error answers its own status and a problem document whatever the client's Accept header says; never 500.</summary>
public sealed class AcceptHeaderTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    [Theory]
    [InlineData("text/html")]
    [InlineData("image/png")]
    [InlineData("text/plain")]
    public async Task AnErrorAnswersItsStatusAndAProblemDocumentWhateverTheClientAccepts(string accept)
    {
        foreach (var (key, method, path, body, kind) in new (string? Key, HttpMethod Method, string Path, string? Body, ProblemType Kind)[]
                 {
                     (null, HttpMethod.Get, "/registry/purposes", null, ProblemTypes.Unauthorized),
                     (PrivacyApiFactory.OtherPartnerKey, HttpMethod.Get, "/requests", null, ProblemTypes.Forbidden),
                     (Key(Roles.Ops), HttpMethod.Get, "/no/such/path", null, ProblemTypes.NotFound),
                     (Key(Roles.Ops), HttpMethod.Get, $"/requests/{Guid.NewGuid()}", null, ProblemTypes.NotFound),
                     (Key(Roles.Ops), HttpMethod.Post, "/requests", "{\"type\": \"access\"}", ProblemTypes.Validation),
                     (Key(Roles.Ops), HttpMethod.Post, "/requests", "{not json", ProblemTypes.MalformedJson),
                     (Key(Roles.Ops), HttpMethod.Post, "/requests", "", ProblemTypes.BodyRequired),
                 })
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
            if (body is not null)
            {
                request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            }

            using var response = await factory.ClientWithKey(key).SendAsync(request);

            var text = await response.Content.ReadAsStringAsync();
            Assert.True(kind.Status == (int)response.StatusCode, $"{method} {path} with Accept {accept}: expected {kind.Status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal(kind.Status, problem.GetProperty("status").GetInt32());
            Assert.Equal(kind.Uri, problem.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData("""{"subject": {"type": "customer", "id": "100"}, "subject": {"type": "customer", "id": "200"}}""", "$.subject")]
    [InlineData("""{"subject": {"type": "customer", "id": "100", "id": "200"}}""", "$.subject.id")]
    [InlineData("""{"choices": [{"purpose": "newsletter", "status": "denied", "status": "granted"}]}""", "$.choices[0].status")]
    public async Task AKeyGivenTwiceIsRefusedNamingItAndNothingIsWritten(string body, string path)
    {
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events");
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await factory.Client(Roles.Ops).PostAsync("/consent/decisions", content);

        var problem = await response.AssertProblem(ProblemTypes.DuplicateKey);
        Assert.Equal([path], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.StartsWith("Given more than once", problem.GetProperty("errors").GetProperty(path)[0].GetString());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events"));
    }

    private static string Key(string role) => PrivacyApiFactory.Keys[role];
}
