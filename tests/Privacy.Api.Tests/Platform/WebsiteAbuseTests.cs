using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// Acting as the website's key, tries to reach another person's rights request through every request endpoint the frontend
/// role may call (read from the endpoint data source, so a new one is tried too): with another customer signed in, with no
/// or a broken X-Signed-In-Customer header, a request ops entered for the signed-in customer, a request the website submitted
/// for someone else. Each answers 404 exactly like a request that does not exist (or 400 for the header) and repeats nothing
/// of the other person (OWASP API1).
/// </summary>
public sealed class WebsiteAbuseTests(PrivacyApiFactory factory, ITestOutputHelper output) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    /// <summary>
    /// "/requests/{id:guid}/report" and the like: every request read the frontend role may call. Fails when the frontend may
    /// call a request endpoint this class does not try: a new one needs its abuse cases here.
    /// </summary>
    private List<string> WebsiteReads()
    {
        var reachable = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/requests", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {e.RoutePattern.RawText}"))
            .Where(r => AccessMatrix.RolesFor(r[..r.IndexOf(' ')], r[(r.IndexOf(' ') + 1)..]).Contains(Roles.Frontend))
            .Order()
            .ToList();
        Assert.Equal(["GET /requests/{id:guid}", "GET /requests/{id:guid}/export", "GET /requests/{id:guid}/report", "POST /requests/"], reachable);
        return [.. reachable.Where(r => r.StartsWith("GET ", StringComparison.Ordinal)).Select(r => r["GET ".Length..])];
    }

    private sealed record Victim(string What, string Id, string Type, string[] PersonalData);

    /// <summary>A request of every kind the website must not read, of both types a report or export is given for, verified.</summary>
    private async Task<(string SignedIn, List<Victim> Victims)> VictimsAsync()
    {
        var (signedIn, other) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var victims = new List<Victim>();
        foreach (var type in new[] { "access", "portability" })
        {
            // Submitted by the website, for another customer signed in.
            using (var response = await factory.WebsiteFor(other).PostJson("/requests", new
            {
                type, subject = new { customerNumber = other, email = "other.customer@example.com" },
            }))
            {
                victims.Add(new("the website's request for another customer", await IdAsync(response), type, [other, "other.customer@example.com"]));
            }

            // Entered by ops from an e-mail, and one marked as from the website, both about the signed-in customer.
            foreach (var channel in new[] { "email", "web" })
            {
                using var response = await _ops.PostJson("/requests", new
                {
                    type, channel, subject = new { customerNumber = signedIn, email = "written.by.someone@example.com" },
                });
                var id = await IdAsync(response);
                (await _ops.PostJson($"/requests/{id}/identity-verification", new { method = "Reply from the registered address" })).EnsureSuccessStatusCode();
                victims.Add(new($"a request ops entered (channel {channel}) for the signed-in customer", id, type, ["written.by.someone@example.com"]));
            }

            // Submitted by a website key but not through the website (no such path today; the channel decides on its own too).
            using (var response = await factory.WebsiteFor(signedIn).PostJson("/requests", new
            {
                type, subject = new { customerNumber = signedIn, email = "not.through.the.site@example.com" },
            }))
            {
                var id = await IdAsync(response);
                await factory.ScalarAsync("UPDATE privacy.rights_requests SET channel = 'Phone' WHERE id = $1 RETURNING 1", Guid.Parse(id));
                victims.Add(new("a website key's request whose channel is phone", id, type, ["not.through.the.site@example.com"]));
            }
        }

        return (signedIn, victims);
    }

    private static async Task<string> IdAsync(HttpResponseMessage response) =>
        (await response.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    [Fact]
    public async Task TheWebsiteCannotReadARequestItDidNotSubmitForTheSignedInCustomer()
    {
        var reads = WebsiteReads();
        var (signedIn, victims) = await VictimsAsync();
        var website = factory.WebsiteFor(signedIn);
        var tried = 0;
        foreach (var read in reads)
        {
            var missing = Guid.NewGuid().ToString();
            using var none = await website.GetAsync(read.Replace("{id:guid}", missing, StringComparison.Ordinal));
            var nothing = await none.AssertProblem(HttpStatusCode.NotFound);
            foreach (var victim in victims)
            {
                var path = read.Replace("{id:guid}", victim.Id, StringComparison.Ordinal);
                using var response = await website.GetAsync(path);
                var body = await response.Content.ReadAsStringAsync();
                var problem = await response.AssertProblem(HttpStatusCode.NotFound);
                AssertSameAs(nothing, missing, problem, victim.Id, $"{path} ({victim.What}, {victim.Type})");
                Assert.All(victim.PersonalData, value => Assert.DoesNotContain(value, body));

                // Ops read it: the 404 is the website's scope, not a missing request.
                using var byOps = await _ops.GetAsync(path);
                Assert.True(byOps.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{path} as ops: {(int)byOps.StatusCode}");
                tried++;
            }
        }

        output.WriteLine($"Website abuse: {tried} reads of requests that are not the signed-in customer's, over {reads.Count} endpoints, all 404.");
    }

    [Fact]
    public async Task AnotherCustomerSignedInCannotReadTheCustomersOwnWebsiteRequest()
    {
        var reads = WebsiteReads();
        var (customer, someoneElse) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var ids = new Dictionary<string, string>();
        foreach (var type in new[] { "access", "portability" })
        {
            using var response = await factory.WebsiteFor(customer).PostJson("/requests", new
            {
                type, subject = new { customerNumber = customer, email = "the.customer@example.com" },
            });
            ids[type] = await IdAsync(response);
        }

        foreach (var read in reads)
        {
            var id = ids[read.EndsWith("/export", StringComparison.Ordinal) ? "portability" : "access"];
            var path = read.Replace("{id:guid}", id, StringComparison.Ordinal);
            using (var own = await factory.WebsiteFor(customer).GetAsync(path))
            {
                Assert.Equal(HttpStatusCode.OK, own.StatusCode); // the customer reads it
            }

            var missing = Guid.NewGuid().ToString();
            using var none = await factory.WebsiteFor(someoneElse).GetAsync(read.Replace("{id:guid}", missing, StringComparison.Ordinal));
            var nothing = await none.AssertProblem(HttpStatusCode.NotFound);
            using var response = await factory.WebsiteFor(someoneElse).GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            AssertSameAs(nothing, missing, await response.AssertProblem(HttpStatusCode.NotFound), id, path);
            Assert.DoesNotContain(customer, body);
            Assert.DoesNotContain("the.customer@example.com", body);
        }
    }

    [Fact]
    public async Task WithoutTheHeaderOrWithABrokenOneNoRequestIsRead()
    {
        var reads = WebsiteReads();
        var (signedIn, victims) = await VictimsAsync();
        using (var submitted = await factory.WebsiteFor(signedIn).PostJson("/requests", new { type = "access", subject = new { customerNumber = signedIn } }))
        {
            victims.Add(new("the signed-in customer's own request", await IdAsync(submitted), "access", [signedIn]));
        }

        foreach (var header in new string?[] { null, "", "abc", $"{signedIn},{signedIn}", new string('9', 300) })
        {
            var frontend = factory.Client(Roles.Frontend);
            if (header is not null)
            {
                frontend.DefaultRequestHeaders.TryAddWithoutValidation(SignedInCustomer.HeaderName, header);
            }

            foreach (var read in reads)
            {
                foreach (var victim in victims)
                {
                    using var response = await frontend.GetAsync(read.Replace("{id:guid}", victim.Id, StringComparison.Ordinal));
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.Equal([SignedInCustomer.HeaderName], await response.AssertValidationErrors());
                    Assert.All(victim.PersonalData, value => Assert.DoesNotContain(value, body));
                }
            }
        }
    }

    [Fact]
    public async Task TheWebsiteCannotSubmitForAnotherCustomer()
    {
        WebsiteReads(); // POST /requests/ is the one write the frontend may call
        var (signedIn, other) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests");
        foreach (var type in new[] { "access", "portability", "erasure" })
        {
            using var response = await factory.WebsiteFor(signedIn).PostJson("/requests", new
            {
                type, subject = new { customerNumber = other, email = "other.customer@example.com" },
            });
            var body = await response.Content.ReadAsStringAsync();
            var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
            Assert.Equal(["subject.customerNumber"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
            Assert.DoesNotContain(other, body);
            Assert.DoesNotContain("other.customer@example.com", body);
        }

        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests"));
    }

    /// <summary>The same problem as for a request that does not exist: same keys, title and detail (with the id swapped).</summary>
    private static void AssertSameAs(JsonElement nothing, string missingId, JsonElement problem, string id, string what)
    {
        Assert.True(nothing.EnumerateObject().Select(p => p.Name).Order().SequenceEqual(problem.EnumerateObject().Select(p => p.Name).Order()),
            $"{what}: {problem} has other fields than {nothing}");
        Assert.Equal(nothing.GetProperty("title").GetString(), problem.GetProperty("title").GetString());
        Assert.Equal(nothing.GetProperty("detail").GetString()!.Replace(missingId, id, StringComparison.Ordinal), problem.GetProperty("detail").GetString());
    }
}
