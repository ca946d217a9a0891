using System.Net.Http.Json;
using Privacy.Api.Platform.Problems;
using Privacy.Api.Tests.Infrastructure;
using Privacy.Api.Tests.Requests;

namespace Privacy.Api.Tests.PrivacyCenter;

/// <summary>A service whose privacy center takes 6 requests per client address and 2 per e-mail address, embedded on the website's origin.</summary>
public sealed class LimitedPrivacyCenterFactory : PrivacyApiFactory
{
    public LimitedPrivacyCenterFactory() =>
        WithSetting("PrivacyCenter:RateLimitPermits", "6").WithSetting("PrivacyCenter:RateLimitWindow", "01:00:00")
            .WithSetting("PrivacyCenter:EmailLimitPermits", "2").WithSetting("Banner:AllowedOrigins:0", PrivacyCenterLimitTests.Website);
}

/// <summary>The privacy center's limits: per e-mail address, whoever asks, and per client address; each refusal a problem document.</summary>
public sealed class PrivacyCenterLimitTests(LimitedPrivacyCenterFactory factory) : IClassFixture<LimitedPrivacyCenterFactory>
{
    public const string Website = "https://www.smultronsites.se";

    [Fact]
    public async Task TheWebsitesOriginMayEmbedThePrivacyCenterAndNoOtherOriginMay()
    {
        foreach (var path in new[] { "/privacy-center/requests", $"/privacy-center/requests/{Guid.NewGuid()}/verification" })
        {
            foreach (var (origin, allowed) in new[] { (Website, true), ("https://evil.example", false) })
            {
                using var preflight = new HttpRequestMessage(HttpMethod.Options, path);
                preflight.Headers.Add("Origin", origin);
                preflight.Headers.Add("Access-Control-Request-Method", "POST");
                preflight.Headers.Add("Access-Control-Request-Headers", "content-type");

                using var response = await factory.Client(null).SendAsync(preflight);

                Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var origins) && origins.Single() == origin);
            }
        }
    }

    [Fact]
    public async Task TheCacheableConfigurationVariesByOrigin()
    {
        using var config = await factory.Client(null).GetAsync("/privacy-center/config?lang=sv");

        Assert.Contains("public", config.Headers.CacheControl?.ToString());
        Assert.Contains("Origin", config.Headers.Vary); // a cache never hands the service's own page's copy to the website's page
    }

    [Fact]
    public async Task RequestsAreLimitedPerEmailAddressAndPerClientAddress()
    {
        var email = PrivacyCenterSupport.NewEmail();
        for (var i = 0; i < 2; i++)
        {
            await factory.AskPrivacyCenter(email);
        }

        using var embedded = new HttpRequestMessage(HttpMethod.Post, "/privacy-center/requests")
        {
            Content = JsonContent.Create(new { type = "access", subject = new { email = email.ToUpperInvariant() }, language = "sv" }), // the same address, however written
        };
        embedded.Headers.Add("Origin", Website);
        using var perEmail = await factory.Client(null).SendAsync(embedded);
        var emailLimit = await perEmail.AssertProblem(ProblemTypes.RateLimited);
        Assert.Contains("e-mail address", emailLimit.Text("detail"));
        Assert.Equal("email_limit", emailLimit.Text("reason"));
        Assert.NotNull(perEmail.Headers.RetryAfter);
        Assert.Contains("Retry-After", perEmail.Headers.GetValues("Access-Control-Expose-Headers")); // the website's page may read it
        Assert.Equal(2, await factory.ScalarAsync("SELECT count(*) FROM privacy.rights_requests WHERE lower(email) = $1", email));

        for (var i = 0; i < 3; i++)
        {
            await factory.AskPrivacyCenter(PrivacyCenterSupport.NewEmail());
        }

        using var perClient = await factory.SubmitToPrivacyCenter(PrivacyCenterSupport.NewEmail());
        Assert.Contains("client address", (await perClient.AssertProblem(ProblemTypes.RateLimited)).Text("detail"));
        using var codes = await factory.EnterCode(Guid.NewGuid().ToString(), "123456"); // code entries share the budget
        await codes.AssertProblem(ProblemTypes.RateLimited);
    }
}
