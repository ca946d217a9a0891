using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Privacy.Api.Platform.Problems;

namespace Privacy.Api.Tests.Infrastructure;

public static partial class HttpAssertions
{
    /// <summary>What a problem document must never show: .NET type names, the framework's own messages, stack frames.</summary>
    [GeneratedRegex(@"System\.[A-Z]|Microsoft\.[A-Z]|Nullable|`1|Implicit body|parameter \""|RequestDelegate|Exception| at Privacy\.")]
    public static partial Regex ProblemInternals();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Asserts an RFC 9457 problem document with <paramref name="status"/>, a <c>type</c> of the catalogue for that status
    /// (<see cref="ProblemTypes"/>), a title and a detail; returns it.
    /// </summary>
    public static async Task<JsonElement> AssertProblem(this HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), $"no detail: {body}");
        var type = ProblemTypes.Find(problem.GetProperty("type").GetString());
        Assert.True(type?.Status == (int)status, $"type is not one of the catalogue's for {(int)status}: {body}");
        return problem;
    }

    /// <summary>Asserts a problem document of <paramref name="kind"/> (its status and its type); returns it.</summary>
    public static async Task<JsonElement> AssertProblem(this HttpResponseMessage response, ProblemType kind)
    {
        var problem = await response.AssertProblem((HttpStatusCode)kind.Status);
        Assert.Equal(kind.Uri, problem.GetProperty("type").GetString());
        return problem;
    }

    /// <summary>The field names in a validation problem's <c>errors</c> map.</summary>
    public static async Task<IReadOnlyList<string>> AssertValidationErrors(this HttpResponseMessage response)
    {
        var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
        return [.. problem.GetProperty("errors").EnumerateObject().Select(p => p.Name)];
    }

    public static async Task<T> ReadOk<T>(this HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body, Json);
}
