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
/// role that may call it, through the whole pipeline over a real database, under every kind of Accept and Content-Type header.
/// Then again for each operation whose path names an entry, with ids taken from earlier answers, so the mutations reach the
/// handler's own checks rather than 404. A hostile request must get a 4xx problem document of a catalogued type that repeats
/// no personal data and names no .NET internals, and must change nothing in the database; no request may get a 5xx.
/// </summary>
public sealed partial class HostileInputTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    /// <summary>The generator gives about 11,000 today; far fewer means operations or mutations went missing.</summary>
    private const int MinimumRequests = 10_000;

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
        // No Accept header of their own: each request sends its own, or none.
        var clients = Roles.All.ToDictionary(r => r, r =>
        {
            var client = factory.Client(r);
            client.DefaultRequestHeaders.Accept.Clear();
            return client;
        });
        await using var connection = await factory.OpenDatabaseAsync();
        var fingerprint = await DatabaseFingerprint.CreateAsync(connection);
        var run = new HostileRun(connection, fingerprint);
        var ids = new ChainedIds();
        var operations = generator.Operations().ToList();
        IEnumerable<HttpClient> ClientsFor(string method, string path)
        {
            Assert.True(roles.TryGetValue($"{method} {path}", out var allowed), $"{method} {path}: no mapped endpoint");
            return RolePreference.Where(allowed.Contains).Select(r => clients[r]);
        }

        HttpClient ClientFor(string method, string path, bool mostExposed = true) =>
            mostExposed ? ClientsFor(method, path).First() : ClientsFor(method, path).Last();

        // Pass 1: every operation; a path names what the documented examples name, or nothing that exists.
        foreach (var (method, path, operation) in operations)
        {
            foreach (var request in generator.For(method, path, operation))
            {
                await run.SendAsync(ClientFor(method, path), request, path, ids);
            }
        }

        foreach (var (method, path, request) in generator.WrongMethods())
        {
            // Not as the metrics key: it is refused (403) everywhere but GET /metrics, the other methods of that path too, so it
            // learns nothing about what else a path takes (TheMetricsKeyOpensNothingButTheScrape).
            await run.SendAsync(ClientsFor(method, path).First(c => c != clients[Roles.Metrics]), request, path, ids);
        }

        // Pass 2: each operation whose path names an entry, with the ids of earlier answers, as the least restricted role that
        // may call it (ops where it may): the most exposed one had its turn, and this pass is for what lies past 404. First a
        // fresh entry of the collection where it can be created (POST /requests for /requests/{id}/closure) and the
        // collection's list (GET /requests/tasks for /requests/tasks/{taskId}/outcome), for new ids.
        var chainedOperations = 0;
        foreach (var (method, path, operation) in operations.Where(o => o.Path.Contains('{', StringComparison.Ordinal)))
        {
            var collection = path[..path.IndexOf('{', StringComparison.Ordinal)].TrimEnd('/');
            foreach (var (m, p, o) in operations.Where(o => o.Path == collection && o.Method is "POST" or "GET"))
            {
                // As each role that may, until one succeeds: the example may suit only ops, a list only a bound system key.
                var valid = generator.For(m, p, o).First();
                foreach (var client in ClientsFor(m, p))
                {
                    if (await run.SendAsync(client, valid, p, ids) < 400)
                    {
                        break;
                    }
                }
            }

            if (!generator.Chains(path, operation, ids))
            {
                continue;
            }

            chainedOperations++;
            foreach (var request in generator.For(method, path, operation, ids))
            {
                await run.SendAsync(ClientFor(method, path, mostExposed: false), request, path, ids);
            }
        }

        output.WriteLine($"Hostile input: {run.Tried} requests over {operations.Count} operations ({fingerprint.TableCount} tables watched), " +
                         $"{run.ServerErrors} answered 5xx: {run.Refused} refused with a 4xx problem, {run.Accepted} accepted (valid despite " +
                         $"the mutation); {run.Chained} over {chainedOperations} operations named entries from earlier answers, " +
                         $"{run.ChainedPast404} of them got past 404; {run.Failures.Count} failures.");
        output.WriteLine("Ids chained from answers: " + ids.Describe());
        output.WriteLine("Problem types: " + string.Join(", ", run.Types.OrderByDescending(t => t.Value).Select(t => $"{t.Key} ×{t.Value}")));
        output.WriteLine("Accepted, by mutation: " + string.Join(", ", run.AcceptedKinds.OrderByDescending(k => k.Value).Select(k => $"{k.Key} ×{k.Value}")));
        foreach (var failure in run.Failures.Take(200))
        {
            output.WriteLine(failure);
        }

        Assert.True(run.Failures.Count == 0, $"{run.Failures.Count} failures, first: {string.Join("\n", run.Failures.Take(40))}");
        Assert.Equal(0, run.ServerErrors);
        Assert.True(run.Tried >= MinimumRequests, $"only {run.Tried} requests tried");
        Assert.True(operations.Count >= 30, $"only {operations.Count} operations in the OpenAPI document");
        Assert.True(chainedOperations >= 20, $"only {chainedOperations} operations were reached with ids from earlier answers");
        Assert.All(run.Types.Keys, type => Assert.NotNull(ProblemTypes.Find(type)));
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
