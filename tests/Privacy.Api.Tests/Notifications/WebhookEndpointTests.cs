using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Notifications;

/// <summary>
/// Endpoint registration as in production: a well-formed https URL (where it may point: <see cref="EndpointSsrfTests"/>);
/// secrets shown once.
/// </summary>
public sealed class WebhookEndpointTests : IClassFixture<PrivacyApiFactory>
{
    private readonly PrivacyApiFactory _factory;
    private readonly HttpClient _ops;

    public WebhookEndpointTests(PrivacyApiFactory factory)
    {
        (_factory, _ops) = (factory, factory.Client(Roles.Ops));
        factory.Resolver.Map("partner.example.com", TestResolver.PublicAddress);
    }

    private Task<HttpResponseMessage> Put(string recipient, string url) =>
        _ops.PutAsJsonAsync($"/notifier/endpoints/{recipient}", new { url }, HttpAssertions.Json);

    [Theory]
    [InlineData("http://partner.example.com/hooks")] // not https
    [InlineData("https://user:password@partner.example.com/hooks")]
    [InlineData("https://partner.example.com/hooks#fragment")]
    [InlineData("ftp://partner.example.com/hooks")]
    [InlineData("/hooks")]
    [InlineData("not a url")]
    public async Task AnEndpointThatIsNotAPlainHttpsUrlIsRefused(string url)
    {
        using var response = await Put("invoicing-partner", url);

        Assert.Equal(["url"], await response.AssertValidationErrors());
        Assert.Equal(0, await _factory.ScalarAsync("SELECT count(*) FROM privacy.webhook_endpoints WHERE recipient_key = 'invoicing-partner'"));
    }

    [Fact]
    public async Task TheSecretIsShownOnceAndNeverByAnyReadEndpoint()
    {
        using var created = await Put("card-provider", "https://partner.example.com/hooks");
        var body = await created.ReadOk<JsonElement>(HttpStatusCode.Created);
        var secret = body.GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, Convert.FromBase64String(secret["whsec_".Length..]).Length);

        using var changed = await Put("card-provider", "https://partner.example.com/hooks/v2");
        using var rotated = await _ops.PostAsJsonAsync("/notifier/endpoints/card-provider/secrets", new { overlapHours = 1 }, HttpAssertions.Json);
        var newSecret = (await rotated.ReadOk<JsonElement>(HttpStatusCode.Created)).GetProperty("secret").GetString()!;
        Assert.NotEqual(secret, newSecret);

        var reads = new List<string>
        {
            await (await Put("card-provider", "https://partner.example.com/hooks/v3")).Content.ReadAsStringAsync(),
            await changed.Content.ReadAsStringAsync(),
            await _ops.GetStringAsync("/notifier/endpoints/card-provider"),
            await _ops.GetStringAsync("/notifier/endpoints"),
            await _ops.GetStringAsync("/notifier/status"),
            await _ops.GetStringAsync("/audit/entries?limit=1000"),
        };
        foreach (var read in reads)
        {
            Assert.DoesNotContain("whsec_", read);
            Assert.DoesNotContain(secret["whsec_".Length..], read);
            Assert.DoesNotContain(newSecret["whsec_".Length..], read);
        }

        var endpoint = JsonDocument.Parse(reads[2]).RootElement;
        Assert.Equal(2, endpoint.GetProperty("secrets").GetArrayLength()); // the old one until the overlap ends, and the new one
        // Stored encrypted, not as the secret itself.
        Assert.Equal(0, await _factory.ScalarAsync("SELECT count(*) FROM privacy.webhook_secrets WHERE position(convert_to($1, 'UTF8') IN protected) > 0", newSecret));
    }

    [Fact]
    public async Task AnUnknownRecipientHasNoEndpoint()
    {
        using var put = await Put("no-such-recipient", "https://partner.example.com/hooks");
        await put.AssertProblem(HttpStatusCode.NotFound);
        using var rotate = await _ops.PostAsJsonAsync("/notifier/endpoints/no-such-recipient/secrets", new { }, HttpAssertions.Json);
        await rotate.AssertProblem(HttpStatusCode.NotFound);
    }
}
