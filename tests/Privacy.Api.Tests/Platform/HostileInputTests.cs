using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Fuzzes every operation of the OpenAPI document with requests derived from it (see <see cref="HostileRequests"/>), as a
/// role that may call it, through the whole pipeline over a real database. A hostile request must get a 4xx problem
/// document that repeats no personal data and must change nothing in the database; no request may get a 5xx.
/// </summary>
public sealed partial class HostileInputTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    /// <summary>The generator gives 4,080 today; far fewer means operations or mutations went missing.</summary>
    private const int MinimumRequests = 3500;

    // The most exposed role that may call the endpoint: the frontend key ships inside public pages.
    private static readonly string[] RolePreference = [Roles.Frontend, Roles.Partner, Roles.System, Roles.Metrics, Roles.Ops];

    [Fact]
    public async Task EveryHostileRequestGetsA4xxProblemAndChangesNothing()
    {
        // The documented examples are dated 2026-11-25 10:00 UTC and the test clock starts at 09:00: past them, they are valid.
        factory.Time.Advance(TimeSpan.FromHours(3));
        var document = JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var limit = factory.Services.GetRequiredService<IOptions<RequestLimitsOptions>>().Value.MaxBodyBytes;
        var generator = new HostileRequests(document, limit);
        var roles = AllowedRoles();
        var clients = Roles.All.ToDictionary(r => r, factory.Client);
        await using var connection = await factory.OpenDatabaseAsync();
        var fingerprint = await DatabaseFingerprint.CreateAsync(connection);

        var failures = new List<string>();
        var acceptedKinds = new Dictionary<string, int>(StringComparer.Ordinal);
        var (tried, refused, accepted, serverErrors, operations) = (0, 0, 0, 0, 0);
        Dictionary<string, string>? before = null;
        foreach (var (method, path, operation) in generator.Operations())
        {
            operations++;
            Assert.True(roles.TryGetValue($"{method} {path}", out var allowed), $"{method} {path}: no mapped endpoint");
            var client = clients[RolePreference.First(allowed.Contains)];
            foreach (var request in generator.For(method, path, operation))
            {
                tried++;
                // After a refused request the database is as it was before it, so its fingerprint is the next one's "before".
                var unchanged = before ?? await fingerprint.TakeAsync(connection);
                using var response = await client.SendAsync(Message(request));
                var body = await response.Content.ReadAsStringAsync();
                var status = (int)response.StatusCode;
                if (status >= 500)
                {
                    serverErrors++;
                    before = null;
                    failures.Add($"{request}: {status} {Shorten(body)}");
                    continue;
                }

                if (status < 400)
                {
                    before = null; // an accepted request changes the database
                    accepted++;
                    var kind = request.Mutation[(request.Mutation.IndexOf(": ", StringComparison.Ordinal) + 1)..].Trim();
                    acceptedKinds[kind] = acceptedKinds.GetValueOrDefault(kind) + 1;
                    if (!request.MayBeAccepted)
                    {
                        failures.Add($"{request}: accepted with {status} {Shorten(body)}");
                    }

                    continue;
                }

                refused++;
                var problemError = ProblemError(response, body, status);
                if (problemError is not null)
                {
                    failures.Add($"{request}: {status} {problemError}");
                }

                var echoed = HostileRequests.PersonalData.Where(Contains(body)).ToList();
                if (echoed.Count > 0)
                {
                    failures.Add($"{request}: the {status} problem repeats personal data ({string.Join(", ", echoed)})");
                }

                var after = await fingerprint.TakeAsync(connection);
                var changed = DatabaseFingerprint.Differences(unchanged, after);
                if (changed.Count > 0)
                {
                    failures.Add($"{request}: refused with {status} but changed {string.Join("; ", changed)}");
                }

                before = after;
            }
        }

        output.WriteLine($"Hostile input: {tried} requests tried over {operations} operations ({fingerprint.TableCount} tables watched): " +
                         $"{refused} refused with a 4xx problem, {accepted} accepted (valid despite the mutation), {serverErrors} answered 5xx, " +
                         $"{failures.Count} failures.");
        output.WriteLine("Accepted, by mutation: " + string.Join(", ", acceptedKinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} ×{k.Value}")));
        foreach (var failure in failures.Take(200))
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures, first: {string.Join("\n", failures.Take(40))}");
        Assert.Equal(0, serverErrors);
        Assert.True(tried >= MinimumRequests, $"only {tried} requests tried");
        Assert.True(operations >= 30, $"only {operations} operations in the OpenAPI document");
    }

    [Fact]
    public async Task TheFingerprintSeesAChangedRowButNotTheSealersColumns()
    {
        await using var connection = await factory.OpenDatabaseAsync();
        var fingerprint = await DatabaseFingerprint.CreateAsync(connection);
        var before = await fingerprint.TakeAsync(connection);

        await factory.SealAuditAsync(); // what the background sealer does on its own
        Assert.Empty(DatabaseFingerprint.Differences(before, await fingerprint.TakeAsync(connection)));
        await factory.ScalarAsync("UPDATE privacy.purposes SET name = name || '.' WHERE key = (SELECT min(key) FROM privacy.purposes) RETURNING 1");

        Assert.Equal(["purposes"], DatabaseFingerprint.Differences(before, await fingerprint.TakeAsync(connection)).Select(d => d.Split(' ')[0]));
    }

    private static HttpRequestMessage Message(HostileRequest request)
    {
        var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            message.Content.Headers.ContentType = request.ContentType is null ? null : MediaTypeHeaderValue.Parse(request.ContentType);
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    /// <summary>Null when the answer is an RFC 9457 problem document of its status with a title; otherwise what is wrong.</summary>
    private static string? ProblemError(HttpResponseMessage response, string body, int status)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"is not a problem document ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}): {Shorten(body)}";
        }

        try
        {
            var problem = JsonDocument.Parse(body).RootElement;
            if (!problem.TryGetProperty("status", out var s) || s.GetInt32() != status)
            {
                return $"problem without its status: {Shorten(body)}";
            }

            if (!problem.TryGetProperty("title", out var title) || string.IsNullOrWhiteSpace(title.GetString()))
            {
                return $"problem without a title: {Shorten(body)}";
            }

            return body.Contains("Exception", StringComparison.Ordinal) || body.Contains(" at Privacy.", StringComparison.Ordinal)
                ? $"problem reveals internals: {Shorten(body)}"
                : null;
        }
        catch (JsonException)
        {
            return $"problem document is not JSON: {Shorten(body)}";
        }
    }

    /// <summary>Whether the problem holds the value, as sent or however JSON escaped it.</summary>
    private static Func<string, bool> Contains(string body)
    {
        var strings = new List<string> { body };
        try
        {
            Collect(JsonDocument.Parse(body).RootElement, strings);
        }
        catch (JsonException)
        {
            // not JSON: the raw text is checked
        }

        return value => strings.Any(s => s.Contains(value, StringComparison.OrdinalIgnoreCase));
    }

    private static void Collect(JsonElement element, List<string> strings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                strings.Add(element.GetString()!);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    strings.Add(property.Name);
                    Collect(property.Value, strings);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Collect(item, strings);
                }

                break;
        }
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>"METHOD /path/{param}" → the roles every policy of the endpoint allows.</summary>
    private Dictionary<string, string[]> AllowedRoles()
    {
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var endpoint in factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            var allowed = policies.Count == 0
                ? [.. Roles.All]
                : policies.Select(p => Policies.AllowedRoles[p]).Aggregate((a, b) => [.. a.Intersect(b)]);
            var path = "/" + RouteParameter().Replace(endpoint.RoutePattern.RawText!.Trim('/'), "{$1}");
            foreach (var method in methods)
            {
                result[$"{method} {path}"] = allowed;
            }
        }

        return result;
    }

    /// <summary>A route parameter without its constraints and default: <c>{id:long}</c> → <c>id</c>.</summary>
    [GeneratedRegex(@"\{\*{0,2}([^:}=?]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
