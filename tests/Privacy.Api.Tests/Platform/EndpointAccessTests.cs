using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Walks every mapped endpoint (read from the endpoint data source, so new endpoints are covered
/// without touching this file) and checks authentication, roles and malformed bodies.
/// </summary>
public sealed class EndpointAccessTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    public sealed record Route(string Method, string Path, string[] AllowedRoles, bool TakesBody, string Name);

    private List<Route> Routes()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var routes = new List<Route>();
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>().ToList();
            Assert.True(policies.Count > 0, $"{endpoint.DisplayName} has no role policy: add .RequireAuthorization(Policies.X).");
            var declared = policies.Select(p => Policies.AllowedRoles.TryGetValue(p, out var roles) ? roles : throw new InvalidOperationException($"{endpoint.DisplayName}: unknown policy {p}"))
                .Aggregate((a, b) => [.. a.Intersect(b)]);
            var takesBody = endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is not null;
            foreach (var method in methods)
            {
                // The stated matrix is what the requests below check; the declared policy must say the same.
                var stated = AccessMatrix.RolesFor(method, endpoint.RoutePattern.RawText!);
                Assert.True(stated.Order().SequenceEqual(declared.Order()),
                    $"{method} {endpoint.RoutePattern.RawText}: AccessMatrix says {string.Join(", ", stated)}, the endpoint's policy allows {string.Join(", ", declared)}");
                routes.Add(new Route(method, Concrete(endpoint.RoutePattern), stated, takesBody, endpoint.DisplayName ?? ""));
            }
        }

        return routes;
    }

    private static string Concrete(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => parameter.ParameterPolicies.Any(p => p.Content is "long" or "int") ? "1"
                : parameter.ParameterPolicies.Any(p => p.Content is "guid") ? Guid.Empty.ToString() : "no-such-entry",
            _ => "",
        }))));

    [Fact]
    public void TheWalkSeesTheRegistryAndAuditEndpoints()
    {
        var routes = Routes();
        Assert.Contains(routes, r => r is { Method: "POST", Path: "/registry/categories" });
        Assert.Contains(routes, r => r is { Method: "GET", Path: "/audit/verify" });
        Assert.True(routes.Count >= 30, $"only {routes.Count} routes found");
    }

    [Fact]
    public void EveryEndpointHasAnEntryInTheAccessMatrixAndEveryEntryAnEndpoint()
    {
        var mapped = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .ToHashSet();
        Assert.Empty(mapped.Except(AccessMatrix.Allowed.Keys).Select(r => $"{r}: no entry in AccessMatrix"));
        Assert.Empty(AccessMatrix.Allowed.Keys.Except(mapped).Select(r => $"{r}: in AccessMatrix but not mapped"));
        Assert.All(AccessMatrix.Allowed.Values.SelectMany(v => v.Split(' ')), role => Assert.Contains(role, Roles.All));
        output.WriteLine($"Access matrix: complete, {mapped.Count} endpoints stated and mapped, each checked with no key, a wrong key and " +
                         $"each of {Roles.All.Count} roles ({mapped.Count * (Roles.All.Count + 2)} calls).");
    }

    [Fact]
    public async Task EveryEndpointAnswers401WithoutAKeyOrWithAnUnknownKey()
    {
        var anonymous = factory.Client(null);
        var wrongKey = factory.Client(null);
        wrongKey.DefaultRequestHeaders.Add(ApiKeyOptions.HeaderName, "not-a-key-of-this-service");
        foreach (var route in Routes())
        {
            foreach (var client in new[] { anonymous, wrongKey })
            {
                using var response = await client.SendAsync(Request(route, "{}"));
                var problem = await response.AssertProblem(HttpStatusCode.Unauthorized);
                Assert.Contains(ApiKeyOptions.HeaderName, problem.GetProperty("detail").GetString());
            }
        }
    }

    [Fact]
    public async Task EveryEndpointAnswers403ToEveryRoleItDoesNotAllow()
    {
        var checkedCount = 0;
        foreach (var route in Routes())
        {
            foreach (var role in Roles.All.Except(route.AllowedRoles))
            {
                using var response = await factory.Client(role).SendAsync(Request(route, "{}"));
                await response.AssertProblem(HttpStatusCode.Forbidden);
                checkedCount++;
            }
        }

        Assert.True(checkedCount > 0);
    }

    [Fact]
    public async Task EveryAllowedRoleGetsPastAuthorization()
    {
        foreach (var route in Routes())
        {
            foreach (var role in route.AllowedRoles)
            {
                using var response = await factory.Client(role).SendAsync(Request(route, "{}"));
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden),
                    $"{route.Method} {route.Path} as {role}: {(int)response.StatusCode}");
                Assert.True((int)response.StatusCode < 500, $"{route.Method} {route.Path} as {role}: {(int)response.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task EveryEndpointThatTakesABodyAnswersMalformedJsonWith400()
    {
        var bodies = Routes().Where(r => r.TakesBody).ToList();
        Assert.NotEmpty(bodies);
        foreach (var route in bodies)
        {
            foreach (var malformed in new[] { "{\"name\": ", "not json", "[1,2", "{\"key\": 5}" })
            {
                using var response = await factory.Client(route.AllowedRoles[0]).SendAsync(Request(route, malformed));
                var problem = await response.AssertProblem(HttpStatusCode.BadRequest);
                Assert.True(problem.TryGetProperty("errors", out _) || problem.TryGetProperty("detail", out _),
                    $"{route.Method} {route.Path}: the problem names no field");
            }
        }
    }

    [Fact]
    public async Task EveryEndpointThatTakesABodyRefusesOtherContentTypesAndOversizedBodies()
    {
        foreach (var route in Routes().Where(r => r.TakesBody))
        {
            var client = factory.Client(route.AllowedRoles[0]);
            var xml = Request(route, "<category/>");
            xml.Content = new StringContent("<category/>", Encoding.UTF8, "application/xml");
            using (var response = await client.SendAsync(xml))
            {
                await response.AssertProblem(HttpStatusCode.UnsupportedMediaType);
            }

            using (var response = await client.SendAsync(Request(route, $"{{\"name\": \"{new string('x', 2 * 1024 * 1024)}\"}}")))
            {
                await response.AssertProblem(HttpStatusCode.RequestEntityTooLarge);
            }
        }
    }

    [Fact]
    public async Task EveryDocumentedRequestExamplePassesItsOwnValidation()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        var examples = endpoints.SelectMany(e => e.Metadata.OfType<Privacy.Api.Platform.OpenApi.RequestExampleMetadata>()).ToList();
        Assert.NotEmpty(examples);
        using var scope = factory.Services.CreateScope();
        foreach (var example in examples)
        {
            var validatorType = typeof(FluentValidation.IValidator<>).MakeGenericType(example.Example.GetType());
            var validator = (FluentValidation.IValidator)scope.ServiceProvider.GetRequiredService(validatorType);
            var result = await validator.ValidateAsync(new FluentValidation.ValidationContext<object>(example.Example));
            Assert.True(result.IsValid, $"{example.Example.GetType().Name}: {result}");
        }
    }

    private static HttpRequestMessage Request(Route route, string body)
    {
        var request = new HttpRequestMessage(new HttpMethod(route.Method), route.Path);
        if (route.TakesBody)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
