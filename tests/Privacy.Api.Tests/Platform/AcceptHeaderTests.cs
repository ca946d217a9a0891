using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
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
        foreach (var (key, method, path, body, status) in new (string? Key, HttpMethod Method, string Path, string? Body, HttpStatusCode Status)[]
                 {
                     (null, HttpMethod.Get, "/registry/purposes", null, HttpStatusCode.Unauthorized),
                     (PrivacyApiFactory.OtherPartnerKey, HttpMethod.Get, "/requests", null, HttpStatusCode.Forbidden),
                     (Key(Roles.Ops), HttpMethod.Get, "/no/such/path", null, HttpStatusCode.NotFound),
                     (Key(Roles.Ops), HttpMethod.Get, $"/requests/{Guid.NewGuid()}", null, HttpStatusCode.NotFound),
                     (Key(Roles.Ops), HttpMethod.Post, "/requests", "{\"type\": \"access\"}", HttpStatusCode.BadRequest),
                     (Key(Roles.Ops), HttpMethod.Post, "/requests", "{not json", HttpStatusCode.BadRequest),
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
            Assert.True(status == response.StatusCode, $"{method} {path} with Accept {accept}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.StartsWith("https://tools.ietf.org/html/rfc9110#section-15.5.", problem.GetProperty("type").GetString());
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

        var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Equal([path], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.StartsWith("Given more than once", problem.GetProperty("errors").GetProperty(path)[0].GetString());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events"));
    }

    private static string Key(string role) => PrivacyApiFactory.Keys[role];
}
