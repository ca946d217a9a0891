using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Requests;

/// <summary>
/// The website's key acts for the customer signed in on the website, named in the X-Signed-In-Customer header: it reads a
/// request, its report and its export only with that header, and only its own (WebsiteAbuseTests tries everything else).
/// Ops read every request without it.
/// </summary>
public sealed class SignedInCustomerTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private async Task<string> SubmitAsync(string type, string customer) =>
        (await (await factory.WebsiteFor(customer).PostJson("/requests", new { type, subject = new { customerNumber = customer } }))
            .ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("id").GetString()!;

    [Fact]
    public async Task TheWebsiteReadsWhatItSubmittedForTheSignedInCustomerAndOpsReadItWithoutTheHeader()
    {
        var customer = TestSubjects.NewCustomer();
        var access = await SubmitAsync("access", customer);
        var portability = await SubmitAsync("portability", customer);
        var website = factory.WebsiteFor(customer);

        foreach (var client in new[] { website, _ops })
        {
            Assert.Equal(customer, (await client.GetFromJsonAsync<JsonElement>($"/requests/{access}")).GetProperty("customerNumber").GetString());
            Assert.Equal(access, (await client.GetFromJsonAsync<JsonElement>($"/requests/{access}/report")).GetProperty("requestId").GetString());
            using var export = await client.GetAsync($"/requests/{portability}/export");
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-number")]
    [InlineData("100234 OR 1=1")]
    [InlineData("fuzz.subject@example.com")]
    [InlineData("123456789012345678901")] // longer than a customer number may be
    public async Task WithoutAValidHeaderTheWebsiteGets400NamingTheHeader(string? header)
    {
        var customer = TestSubjects.NewCustomer();
        var access = await SubmitAsync("access", customer);
        var portability = await SubmitAsync("portability", customer);
        var frontend = factory.Client(Roles.Frontend);
        if (header is not null)
        {
            frontend.DefaultRequestHeaders.TryAddWithoutValidation(SignedInCustomer.HeaderName, header);
        }

        foreach (var path in new[] { $"/requests/{access}", $"/requests/{access}/report", $"/requests/{portability}/export", $"/requests/{Guid.NewGuid()}" })
        {
            using var response = await frontend.GetAsync(path);
            Assert.Equal([SignedInCustomer.HeaderName], await response.AssertValidationErrors());
            var body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(customer, body);
            Assert.True(string.IsNullOrEmpty(header) || !body.Contains(header, StringComparison.Ordinal), "the header's value is repeated");
        }
    }

    [Fact]
    public async Task TheHeaderTwiceIsRefused()
    {
        var customer = TestSubjects.NewCustomer();
        var access = await SubmitAsync("access", customer);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/requests/{access}");
        request.Headers.Add(SignedInCustomer.HeaderName, [customer, TestSubjects.NewCustomer()]);

        using var response = await factory.Client(Roles.Frontend).SendAsync(request);

        Assert.Equal([SignedInCustomer.HeaderName], await response.AssertValidationErrors());
    }

    [Fact]
    public async Task TheWebsiteSubmitsOnlyForTheSignedInCustomer()
    {
        var (signedIn, typo) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests");
        var body = new { type = "erasure", subject = new { customerNumber = typo, email = "someone.else@example.com" } };

        using var mismatch = await factory.WebsiteFor(signedIn).PostJson("/requests", body);
        var problem = await mismatch.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["subject.customerNumber"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
        Assert.Contains("subject.customerNumber", problem.GetProperty("detail").GetString());
        var text = problem.ToString();
        Assert.DoesNotContain(typo, text);
        Assert.DoesNotContain(signedIn, text);
        Assert.DoesNotContain("someone.else@example.com", text);

        foreach (var header in new string?[] { null, "", "not-a-number" })
        {
            var frontend = factory.Client(Roles.Frontend);
            if (header is not null)
            {
                frontend.DefaultRequestHeaders.TryAddWithoutValidation(SignedInCustomer.HeaderName, header);
            }

            using var response = await frontend.PostJson("/requests", body);
            Assert.Equal([SignedInCustomer.HeaderName], await response.AssertValidationErrors());
        }

        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests"));

        // Ops enter a request for anyone, without the header.
        using var byOps = await _ops.PostJson("/requests", new { type = "erasure", channel = "letter", subject = new { customerNumber = typo } });
        Assert.Equal(HttpStatusCode.Created, byOps.StatusCode);
    }

    [Fact]
    public async Task AReplayWithTheSameIdempotencyKeyForAnotherSignedInCustomerIsRefusedNotAnswered()
    {
        // The first answer holds the first customer's request; the replay's header names someone else.
        var (first, second) = (TestSubjects.NewCustomer(), TestSubjects.NewCustomer());
        var body = new { type = "access", subject = new { customerNumber = first, email = "first.customer@example.com" } };
        HttpRequestMessage Message()
        {
            var message = new HttpRequestMessage(HttpMethod.Post, "/requests") { Content = JsonContent.Create(body, options: HttpAssertions.Json) };
            message.Headers.Add("Idempotency-Key", $"access-{first}");
            return message;
        }

        using (var created = await factory.WebsiteFor(first).SendAsync(Message()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var replay = await factory.WebsiteFor(second).SendAsync(Message());

        await replay.AssertProblem(HttpStatusCode.UnprocessableEntity);
        Assert.False(replay.Headers.Contains("Idempotent-Replayed"));
        Assert.DoesNotContain("first.customer@example.com", await replay.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SwaggerShowsTheHeaderOnEveryRequestEndpointOfTheWebsite()
    {
        var document = JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement;
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Route: $"{o.Name.ToUpperInvariant()} {p.Name}", Operation: o.Value)))
            .ToDictionary(o => o.Route, o => o.Operation);

        foreach (var route in new[] { "POST /requests", "GET /requests/{id}", "GET /requests/{id}/report", "GET /requests/{id}/export" })
        {
            var operation = operations[route];
            var header = Assert.Single(operation.GetProperty("parameters").EnumerateArray(),
                p => p.GetProperty("name").GetString() == SignedInCustomer.HeaderName);
            Assert.Equal("header", header.GetProperty("in").GetString());
            Assert.Contains("signed in on the website", header.GetProperty("description").GetString());
            Assert.Contains(SignedInCustomer.HeaderName, operation.GetProperty("description").GetString());
            Assert.True(operation.GetProperty("responses").TryGetProperty("400", out _), $"{route} declares no 400");
        }

        Assert.DoesNotContain(operations["GET /requests"].TryGetProperty("parameters", out var listed) ? listed.EnumerateArray() : [],
            p => p.GetProperty("name").GetString() == SignedInCustomer.HeaderName); // ops only: no header
    }
}
