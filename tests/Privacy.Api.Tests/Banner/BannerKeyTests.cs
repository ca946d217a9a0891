using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Banner;

/// <summary>R7: the banner's key is public, so it reaches its visitor's consent only, and only so often per client address.</summary>
public sealed class BannerKeyTests(BannerKeyTests.Factory factory) : IClassFixture<BannerKeyTests.Factory>
{
    public const string Website = "https://www.smultronsites.se";

    /// <summary>The service with the website's origin allowed.</summary>
    public sealed class Factory : PrivacyApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Banner:AllowedOrigins:0", Website);
        }
    }

    private readonly HttpClient _banner = factory.Client(Roles.Banner);

    private static object Decision(string type, string id, bool withProof)
    {
        var choices = new[] { new { purpose = "cookies.statistics", status = "granted" } };
        var notice = new { id = "banner-v1-sv", text = ConsentRequests.BannerText };
        return withProof
            ? new { subject = new { type, id }, choices, policyVersion = ConsentRequests.SeedVersion, channel = "banner", notice, language = "sv",
                proof = new { ipAddress = "203.0.113.7", userAgent = "forged" } }
            : new { subject = new { type, id }, choices, policyVersion = ConsentRequests.SeedVersion, channel = "banner", notice, language = "sv" };
    }

    [Fact]
    public async Task TheBannerKeyRecordsAndReadsItsVisitorsConsentWithTheRequestsOwnProof()
    {
        var visitor = ConsentRequests.NewVisitorId();

        using var recorded = await _banner.PostJson("/consent/decisions", Decision("visitor", visitor, withProof: false));
        using var read = await _banner.GetAsync($"/consent/subjects/visitor/{visitor}");
        using var withdrawn = await _banner.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals",
            new { purposes = new[] { "cookies.statistics" }, channel = "banner", language = "sv" });

        await recorded.ReadOk<JsonElement>(HttpStatusCode.Created);
        var state = await read.ReadOk<JsonElement>();
        Assert.True(state.Purpose("cookies.statistics").GetProperty("active").GetBoolean());
        await withdrawn.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(0, await factory.ScalarAsync("""
            SELECT count(*) FROM privacy.consent_proofs p JOIN privacy.consent_events e ON e.id = p.event_id
            WHERE e.subject_id = $1 AND (p.user_agent = 'forged' OR p.ip_address = '203.0.113.7'::inet)
            """, visitor));
    }

    [Fact]
    public async Task TheBannerKeyCannotReachACustomerOrStateProof()
    {
        var customer = ConsentRequests.NewCustomerNumber();
        await factory.Client(Roles.Frontend).Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")]));
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events");

        using var decision = await _banner.PostJson("/consent/decisions", Decision("customer", customer, withProof: false));
        using var state = await _banner.GetAsync($"/consent/subjects/customer/{customer}");
        using var withdrawal = await _banner.PostJson($"/consent/subjects/customer/{customer}/withdrawals",
            new { all = true, channel = "banner", language = "sv" });
        using var proof = await _banner.PostJson("/consent/decisions", Decision("visitor", ConsentRequests.NewVisitorId(), withProof: true));

        foreach (var refused in new[] { decision, state, withdrawal })
        {
            var problem = await refused.AssertProblem(HttpStatusCode.Forbidden);
            Assert.Contains("visitor id it presents", problem.GetProperty("detail").GetString());
        }

        Assert.Contains("'proof'", (await proof.AssertProblem(HttpStatusCode.Forbidden)).GetProperty("detail").GetString());
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events"));
        foreach (var serverOnly in new[] { $"/consent/subjects/customer/{customer}/history", "/consent/purposes", "/registry/purposes", "/whoami",
                     "/requests", "/consent/policy-versions" })
        {
            using var response = await _banner.GetAsync(serverOnly);
            await response.AssertProblem(HttpStatusCode.Forbidden);
        }
    }

    /// <summary>
    /// A customer who granted the newsletter on the signup form, whose address was then given to the invoicing partner on that
    /// consent, and whose browser's visitor id is linked to them: what the banner key could reach through the link.
    /// </summary>
    private async Task<(string Customer, string Visitor)> LinkedCustomerWithNewsletterDisclosed()
    {
        var (customer, visitor) = (ConsentRequests.NewCustomerNumber(), ConsentRequests.NewVisitorId());
        var frontend = factory.Client(Roles.Frontend);
        using (var link = await factory.Client(Roles.Ops).PostJson("/registry/links",
                   new { purpose = "newsletter", category = "user.contact.email", recipient = "invoicing-partner" }))
        {
            Assert.True(link.IsSuccessStatusCode || link.StatusCode == HttpStatusCode.Conflict, await link.Content.ReadAsStringAsync());
        }

        await frontend.Record(ConsentRequests.Decision("customer", customer, [("newsletter", "granted")], channel: "signup_form"));
        using (var disclosed = await factory.Client(Roles.System).PostJson("/disclosures", new
               {
                   disclosures = new[]
                   {
                       new { recipient = "invoicing-partner", customerNumber = customer, categories = new[] { "user.contact.email" },
                             purpose = "newsletter", legalGround = "consent", disclosedAt = factory.Time.GetUtcNow() },
                   },
               }))
        {
            await disclosed.ReadOk<JsonElement>(HttpStatusCode.Created);
        }

        (await frontend.PostJson($"/consent/subjects/visitor/{visitor}/link", new { customerNumber = customer })).EnsureSuccessStatusCode();
        await _banner.Record(Decision("visitor", visitor, withProof: false)); // the honest banner: statistics granted
        return (customer, visitor);
    }

    private async Task AssertTheCustomersNewsletterIsUntouched(string customer)
    {
        var state = await factory.Client(Roles.Frontend).State("customer", customer);
        Assert.True(state.Purpose("newsletter").GetProperty("active").GetBoolean());
        Assert.Equal("never_asked", state.Purpose("third_party_marketing").GetProperty("status").GetString());
        var followUps = await factory.Client(Roles.Ops).GetFromJsonAsync<JsonElement>($"/follow-ups?customerNumber={customer}");
        Assert.Empty(followUps.GetProperty("items").EnumerateArray()); // no consent_withdrawn to the invoicing partner
    }

    private static async Task AssertOutsideScope(HttpResponseMessage response, string field)
    {
        var problem = await response.AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal([field], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name));
    }

    [Fact]
    public async Task TheBannerKeyCannotGrantOrWithdrawALinkedCustomersOtherPurposes()
    {
        var (customer, visitor) = await LinkedCustomerWithNewsletterDisclosed();
        var before = await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", visitor);

        using var marketing = await _banner.PostJson("/consent/decisions",
            ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted"), ("third_party_marketing", "granted")], channel: "banner", withProof: false));
        using var newsletter = await _banner.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals",
            new { purposes = new[] { "newsletter" }, channel = "banner", language = "sv" });

        await AssertOutsideScope(marketing, "choices[1].purpose");
        await AssertOutsideScope(newsletter, "purposes[0]");
        Assert.Equal(before, await factory.ScalarAsync("SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1", visitor));
        await AssertTheCustomersNewsletterIsUntouched(customer);
    }

    [Fact]
    public async Task TheBannerKeyRecordsOnTheBannerChannelOnly()
    {
        var (customer, visitor) = await LinkedCustomerWithNewsletterDisclosed();

        using var signupForm = await _banner.PostJson("/consent/decisions",
            ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted")], channel: "signup_form", withProof: false));
        using var settingsPage = await _banner.PostJson("/consent/decisions",
            ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted")], channel: "settings_page", withProof: false));
        using var withdrawal = await _banner.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals",
            new { purposes = new[] { "cookies.statistics" }, channel = "email_link", language = "sv" });

        await AssertOutsideScope(signupForm, "channel");
        await AssertOutsideScope(settingsPage, "channel");
        await AssertOutsideScope(withdrawal, "channel");
        Assert.Equal(0, await factory.ScalarAsync(
            "SELECT count(*) FROM privacy.consent_events WHERE subject_id = $1 AND channel <> 'Banner'", visitor));
        await AssertTheCustomersNewsletterIsUntouched(customer);
    }

    [Fact]
    public async Task TheBannerKeysWithdrawAllWithdrawsTheBannersPurposesOnly()
    {
        var (customer, visitor) = await LinkedCustomerWithNewsletterDisclosed();

        using var all = await _banner.PostJson($"/consent/subjects/visitor/{visitor}/withdrawals", new { all = true, channel = "banner", language = "sv" });

        var withdrawn = await all.ReadOk<JsonElement>(HttpStatusCode.Created);
        Assert.Equal(["cookies.preferences", "cookies.statistics"],
            withdrawn.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("purpose").GetString()));
        var state = await factory.Client(Roles.Frontend).State("customer", customer);
        Assert.False(state.Purpose("cookies.statistics").GetProperty("active").GetBoolean()); // the banner's own purposes: withdrawn
        await AssertTheCustomersNewsletterIsUntouched(customer);
    }

    [Fact]
    public async Task TheWebsitesOriginMayCallWithTheBannerKeyAndNoOtherOriginMay()
    {
        foreach (var (origin, allowed) in new[] { (Website, true), ("https://evil.example", false) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/consent/decisions");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type,idempotency-key");

            using var response = await factory.Client(null).SendAsync(preflight);

            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var origins) && origins.Single() == origin);
        }

        using var read = new HttpRequestMessage(HttpMethod.Get, $"/consent/subjects/visitor/{ConsentRequests.NewVisitorId()}");
        read.Headers.Add("Origin", Website);
        using var answer = await _banner.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(Website, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task SwaggerTellsWhichOperationsTheBannerKeyMayCallAndThatTheyAreRateLimited()
    {
        var paths = JsonDocument.Parse(await factory.Client(null).GetStringAsync("/swagger/v1/swagger.json")).RootElement.GetProperty("paths");

        var limited = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Name: $"{o.Name.ToUpperInvariant()} {p.Name}", Operation: o.Value)))
            .Where(o => o.Operation.GetProperty("responses").TryGetProperty("429", out _))
            .Select(o => o.Name).Order().ToArray();

        // The banner key's operations, and the privacy center's public ones (limited per client address and per e-mail address).
        Assert.Equal(["GET /banner/v1/config", "GET /consent/subjects/{subjectType}/{subjectId}", "POST /consent/decisions",
            "POST /consent/subjects/{subjectType}/{subjectId}/withdrawals", "POST /privacy-center/requests", "POST /privacy-center/requests/{id}/code",
            "POST /privacy-center/requests/{id}/verification"], limited);
    }

    [Fact]
    public async Task TheScriptIsPublicCachedAndRevalidated()
    {
        var anonymous = factory.Client(null);

        using var script = await anonymous.GetAsync("/banner/v1/consent.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Contains("window.consent", await script.Content.ReadAsStringAsync());
        using var again = new HttpRequestMessage(HttpMethod.Get, "/banner/v1/consent.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.ToString());
        using var revalidated = await anonymous.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);

        using var css = await anonymous.GetAsync("/banner/v1/consent.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        using var policy = await anonymous.GetAsync("/banner/v1/policy?lang=en");
        Assert.Contains("Version 2022-02-08", await policy.Content.ReadAsStringAsync());
        using var demo = await anonymous.GetAsync("/banner/demo"); // off outside Development unless Banner:DemoPage
        await demo.AssertProblem(HttpStatusCode.NotFound);
    }

    /// <summary>The gzipped size a visitor's browser downloads (a proxy or CDN compresses it), at most 30 KB per script.</summary>
    [Theory]
    [InlineData("/banner/v1/consent.js")]
    [InlineData("/privacy-center/privacy-center.js")]
    public async Task EachPageScriptStaysWithinItsGzippedBudget(string path)
    {
        var script = await factory.Client(null).GetByteArrayAsync(path);
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(script);
        }

        Assert.True(script.Length > 1_000, $"{path} is {script.Length} bytes: not the script");
        Assert.True(compressed.Length <= 30 * 1024, $"{path} is {compressed.Length} bytes gzipped; the budget is 30 KB");
    }

    [Fact]
    public async Task TheConfigListsTheCookiePurposesInTheAskedLanguage()
    {
        var config = await _banner.GetFromJsonAsync<JsonElement>("/banner/v1/config?lang=en");
        using var wrong = await _banner.GetAsync("/banner/v1/config?lang=de");

        Assert.Equal(["cookies.necessary", "cookies.preferences", "cookies.statistics"],
            config.GetProperty("purposes").EnumerateArray().Select(p => p.GetProperty("key").GetString()!).ToArray());
        Assert.Equal("Statistics", config.GetProperty("purposes")[2].GetProperty("name").GetString());
        Assert.True(config.GetProperty("purposes")[0].GetProperty("alwaysOn").GetBoolean());
        Assert.Equal(ConsentRequests.SeedVersion, config.GetProperty("policyVersion").GetString());
        Assert.EndsWith("/banner/v1/policy?lang=en", config.GetProperty("policyUrl").GetString());
        Assert.Contains("lang", await wrong.AssertValidationErrors());
    }
}

/// <summary>The per-address limit, over real connections from two loopback addresses to the service on Kestrel.</summary>
public sealed class BannerRateLimitTests(BannerRateLimitTests.Factory factory) : IClassFixture<BannerRateLimitTests.Factory>
{
    public sealed class Factory : BrowsablePrivacyApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Banner:RateLimitPermits", "5");
            builder.UseSetting("Banner:RateLimitWindow", "01:00:00"); // no window ends during the test
        }
    }

    /// <summary>A client whose connections come from <paramref name="source"/> (any 127.x address is this machine).</summary>
    private HttpClient From(string source, string key) => LoopbackClient.From(factory.BaseUrl, source, key);

    [Fact]
    public async Task EachClientAddressHasItsOwnBudgetAndServerKeysAreNotLimited()
    {
        var visitor = ConsentRequests.NewVisitorId();
        using var first = From("127.0.0.1", PrivacyApiFactory.Keys[Roles.Banner]);
        using var second = From("127.0.0.2", PrivacyApiFactory.Keys[Roles.Banner]);
        using var server = From("127.0.0.1", PrivacyApiFactory.Keys[Roles.Frontend]);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await first.GetAsync($"/consent/subjects/visitor/{visitor}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var problem = await response.AssertProblem(Privacy.Api.Platform.Problems.ProblemTypes.RateLimited);
                Assert.DoesNotContain("127.0.0.1", problem.GetRawText()); // the address is never echoed
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            }
        }

        using var otherAddress = await second.GetAsync($"/consent/subjects/visitor/{visitor}");
        using var serverKey = await server.GetAsync($"/consent/subjects/visitor/{visitor}");

        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
        Assert.Equal(HttpStatusCode.OK, serverKey.StatusCode);
    }
}
