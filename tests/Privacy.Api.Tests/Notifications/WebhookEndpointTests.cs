using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Notifications;

/// <summary>Endpoint registration as in production: https on public addresses only; secrets shown once.</summary>
public sealed class WebhookEndpointTests(PrivacyApiFactory factory) : IClassFixture<PrivacyApiFactory>
{
    private readonly HttpClient _ops = factory.Client(Roles.Ops);

    private Task<HttpResponseMessage> Put(string recipient, string url) =>
        _ops.PutAsJsonAsync($"/notifier/endpoints/{recipient}", new { url }, HttpAssertions.Json);

    [Theory]
    [InlineData("http://partner.example.com/hooks")] // not https
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://localhost:8443/hooks")]
    [InlineData("https://10.1.2.3/hooks")]
    [InlineData("https://192.168.0.10/hooks")]
    [InlineData("https://172.20.0.1/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data")] // cloud metadata
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[fd00::1]/hooks")]
    [InlineData("https://[::ffff:10.0.0.1]/hooks")]
    [InlineData("https://db.internal/hooks")]
    [InlineData("https://postgres/hooks")] // a bare cluster name
    [InlineData("https://user:password@partner.example.com/hooks")]
    [InlineData("ftp://partner.example.com/hooks")]
    [InlineData("not a url")]
    public async Task AnEndpointThatCouldReachInternalServicesIsRefused(string url)
    {
        using var response = await Put("invoicing-partner", url);

        Assert.Equal(["url"], await response.AssertValidationErrors());
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.webhook_endpoints WHERE recipient_key = 'invoicing-partner'"));
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
        Assert.Equal(0, await factory.ScalarAsync("SELECT count(*) FROM privacy.webhook_secrets WHERE position(convert_to($1, 'UTF8') IN protected) > 0", newSecret));
    }

    [Fact]
    public async Task AnUnknownRecipientHasNoEndpoint()
    {
        using var put = await Put("no-such-recipient", "https://partner.example.com/hooks");
        await put.AssertProblem(HttpStatusCode.NotFound);
        using var rotate = await _ops.PostAsJsonAsync("/notifier/endpoints/no-such-recipient/secrets", new { }, HttpAssertions.Json);
        await rotate.AssertProblem(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.0.0.8", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("::ffff:192.168.1.1", true)]
    [InlineData("8.8.8.8", false)]
    [InlineData("2001:4860:4860::8888", false)]
    public void AddressesAreClassifiedForTheConnectTimeCheck(string address, bool isInternal) =>
        Assert.Equal(isInternal, EndpointGuard.IsInternal(IPAddress.Parse(address)));
}
