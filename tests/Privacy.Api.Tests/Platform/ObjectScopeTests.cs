using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Platform;

/// <summary>Every endpoint a role other than ops may call has a stated scoping decision for that role (<see cref="ObjectScope"/>).</summary>
public sealed class ObjectScopeTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    /// <summary>"METHOD pattern" → the endpoint, for every mapped endpoint that needs a key.</summary>
    private Dictionary<string, RouteEndpoint> Mapped() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Route: $"{m} {e.RoutePattern.RawText}", Endpoint: e)))
            .ToDictionary(r => r.Route, r => r.Endpoint);

    [Fact]
    public void EveryEndpointANonOpsRoleReachesStatesHowThatRoleIsConfinedAndEveryStatementAnEndpoint()
    {
        var mapped = Mapped();
        var failures = new List<string>();
        var decisions = 0;
        foreach (var route in mapped.Keys.Order())
        {
            var (method, pattern) = (route[..route.IndexOf(' ')], route[(route.IndexOf(' ') + 1)..]);
            var roles = AccessMatrix.RolesFor(method, pattern).Where(r => r != Roles.Ops).ToList();
            var stated = ObjectScope.Decisions.GetValueOrDefault(route) ?? new Dictionary<string, string>();
            foreach (var role in roles.Where(r => string.IsNullOrWhiteSpace(stated.GetValueOrDefault(r))))
            {
                failures.Add($"{route}: {role} may call it, and ObjectScope says nothing of how {role} is kept to its own objects");
            }

            foreach (var role in stated.Keys.Except(roles))
            {
                failures.Add($"{route}: ObjectScope has a decision for {role}, which AccessMatrix does not let call it");
            }

            decisions += roles.Count;
        }

        foreach (var route in ObjectScope.Decisions.Keys.Except(mapped.Keys))
        {
            failures.Add($"{route}: in ObjectScope but not mapped");
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        output.WriteLine($"Object scope: {decisions} decisions over {ObjectScope.Decisions.Count} endpoints reachable by a role other than ops; " +
                         $"{ObjectScope.Decisions.Values.SelectMany(d => d.Values).Count(d => d.StartsWith("unscoped", StringComparison.Ordinal))} of them unscoped.");
    }

    [Fact]
    public void AnEndpointStatedAsTheSignedInCustomersDeclaresIt()
    {
        // The statement is what the code does: the filter that requires the header and confines the handler (SignedInCustomer).
        foreach (var (route, endpoint) in Mapped())
        {
            var declares = endpoint.Metadata.GetMetadata<SignedInCustomerMetadata>() is not null;
            var stated = ObjectScope.Decisions.GetValueOrDefault(route)?.GetValueOrDefault(Roles.Frontend) == ObjectScope.SignedInCustomer;
            Assert.True(declares == stated, declares
                ? $"{route} declares .ActsForSignedInCustomer(); ObjectScope should say so for the frontend"
                : $"{route}: ObjectScope says the signed-in customer, but the endpoint does not declare .ActsForSignedInCustomer()");
        }
    }
}
