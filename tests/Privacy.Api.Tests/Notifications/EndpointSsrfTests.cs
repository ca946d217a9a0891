using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Privacy.Api.Notifications;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Infrastructure;
using static Privacy.Api.Tests.Notifications.NotifierTestSupport;

namespace Privacy.Api.Tests.Notifications;

/// <summary>
/// SSRF at registration, as in production (no private networks allowed): a webhook URL is refused with 422 naming
/// <c>url</c> when its host is internal, resolves to an internal address among its addresses, or does not resolve. The
/// test's resolver decides what each name resolves to.
/// </summary>
public sealed class EndpointSsrfTests : IClassFixture<PrivacyApiFactory>
{
    private const string Refused = "invoicing-partner";
    private readonly PrivacyApiFactory _factory;
    private readonly HttpClient _ops;

    public EndpointSsrfTests(PrivacyApiFactory factory) => (_factory, _ops) = (factory, factory.Client(Roles.Ops));

    private Task<HttpResponseMessage> Put(string recipient, string url) =>
        _ops.PutAsJsonAsync($"/notifier/endpoints/{recipient}", new { url }, HttpAssertions.Json);

    /// <summary>Asserts a 422 problem whose errors name <c>url</c> only, and that nothing was stored; returns the reason.</summary>
    private async Task<string> AssertRefused(HttpResponseMessage response)
    {
        var problem = await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        var errors = problem.GetProperty("errors");
        Assert.Equal(["url"], errors.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0, await _factory.ScalarAsync("SELECT count(*) FROM privacy.webhook_endpoints WHERE recipient_key = $1", Refused));
        return errors.GetProperty("url")[0].GetString()!;
    }

    [Theory]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://0x7f000001/hooks")] // 127.0.0.1 in hex
    [InlineData("https://0.0.0.0/hooks")]
    [InlineData("https://10.1.2.3/hooks")]
    [InlineData("https://172.20.0.1/hooks")]
    [InlineData("https://192.168.0.10/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data")] // cloud metadata
    [InlineData("https://100.64.0.1/hooks")] // carrier-grade NAT
    [InlineData("https://198.18.0.1/hooks")] // benchmarking
    [InlineData("https://192.0.2.10/hooks")] // documentation
    [InlineData("https://224.0.0.1/hooks")]
    [InlineData("https://255.255.255.255/hooks")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[::]/hooks")]
    [InlineData("https://[fd00::1]/hooks")]
    [InlineData("https://[fe80::1]/hooks")]
    [InlineData("https://[ff02::1]/hooks")]
    [InlineData("https://[2001:db8::1]/hooks")]
    [InlineData("https://[100::1]/hooks")]
    [InlineData("https://[::ffff:10.0.0.1]/hooks")] // mapped
    [InlineData("https://[::ffff:127.0.0.1]/hooks")]
    [InlineData("https://[::127.0.0.1]/hooks")] // compatible
    [InlineData("https://[64:ff9b::7f00:1]/hooks")] // NAT64 of 127.0.0.1
    [InlineData("https://[64:ff9b::a9fe:a9fe]/hooks")] // NAT64 of 169.254.169.254
    [InlineData("https://[64:ff9b:1::808:808]/hooks")] // local-use NAT64: refused outright
    [InlineData("https://[2002:7f00:1::]/hooks")] // 6to4 of 127.0.0.1
    [InlineData("https://[2002:c0a8:101::1]/hooks")] // 6to4 of 192.168.1.1
    [InlineData("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hooks")] // Teredo, client 127.0.0.1
    [InlineData("https://[2001:0:a00:1:8000:63bf:a247:28f1]/hooks")] // Teredo, server 10.0.0.1
    [InlineData("https://localhost:8443/hooks")]
    [InlineData("https://db.internal/hooks")]
    [InlineData("https://postgres/hooks")] // a bare cluster name
    public async Task AnEndpointAtAnInternalAddressOrAnIPv6FormCarryingOneIsRefused(string url)
    {
        using var response = await Put(Refused, url);

        await AssertRefused(response);
    }

    [Theory]
    [InlineData("loopback.example.com", new[] { "127.0.0.1" })]
    [InlineData("metadata.example.com", new[] { "169.254.169.254" })]
    [InlineData("mixed.example.com", new[] { TestResolver.PublicAddress, "10.0.0.5" })] // one internal address is enough
    [InlineData("mixed6.example.com", new[] { "2606:4700:4700::1111", "fd00::5" })]
    [InlineData("mapped.example.com", new[] { "::ffff:127.0.0.1" })]
    [InlineData("nat64.example.com", new[] { "64:ff9b::a00:1" })]
    [InlineData("teredo.example.com", new[] { "2001:0:4136:e378:8000:63bf:3f57:fefe" })] // client 192.168.1.1
    public async Task AHostNameResolvingToAnyInternalAddressIsRefused(string host, string[] addresses)
    {
        _factory.Resolver.Map(host, addresses);

        using var response = await Put(Refused, $"https://{host}/hooks");

        Assert.Contains("internal address", await AssertRefused(response));
    }

    [Fact]
    public async Task AHostNameThatDoesNotResolveIsRefused()
    {
        using var response = await Put(Refused, "https://nowhere.example.com/hooks");

        Assert.Contains("does not resolve", await AssertRefused(response));
    }

    [Theory]
    [InlineData("https://public.example.com/hooks")] // resolves to a public address only
    [InlineData("https://public.example.com./hooks")] // the same name, fully qualified
    [InlineData("https://v6.example.com/hooks")]
    [InlineData("https://93.184.215.14/hooks")]
    [InlineData("https://[::ffff:93.184.215.14]/hooks")]
    [InlineData("https://[64:ff9b::5db8:d70e]/hooks")] // NAT64 of a public address: how IPv6-only clusters reach IPv4 partners
    [InlineData("https://[2002:5db8:d70e::1]/hooks")]
    [InlineData("https://[2001:4860:4860::8888]/hooks")] // in 2001::/23, not Teredo
    public async Task AnEndpointOnlyOnPublicAddressesIsAccepted(string url)
    {
        _factory.Resolver.Map("public.example.com", TestResolver.PublicAddress);
        _factory.Resolver.Map("v6.example.com", "2606:4700:4700::1111", TestResolver.PublicAddress);

        using var response = await Put("card-provider", url);

        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var endpoint = await _ops.GetFromJsonAsync<JsonElement>("/notifier/endpoints/card-provider");
        Assert.Equal(url, endpoint.GetProperty("url").GetString());
    }

    [Fact]
    public async Task ARefusedUrlLeavesTheRegisteredEndpointAsItWas()
    {
        _factory.Resolver.Map("partner.example.com", TestResolver.PublicAddress);
        _factory.Resolver.Map("turned.example.com", "10.0.0.7");
        using var registered = await Put("booking", "https://partner.example.com/hooks/booking");
        registered.EnsureSuccessStatusCode();

        using var response = await Put("booking", "https://turned.example.com/hooks");

        await response.AssertProblem(HttpStatusCode.UnprocessableEntity);
        var endpoint = await _ops.GetFromJsonAsync<JsonElement>("/notifier/endpoints/booking");
        Assert.Equal("https://partner.example.com/hooks/booking", endpoint.GetProperty("url").GetString());
    }

    [Theory]
    // Internal IPv4
    [InlineData("0.0.0.0", true)]
    [InlineData("0.1.2.3", true)]
    [InlineData("10.0.0.1", true)]
    [InlineData("100.64.0.1", true)]
    [InlineData("100.127.255.255", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.255.255.254", true)]
    [InlineData("169.254.169.254", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.31.255.255", true)]
    [InlineData("192.0.0.8", true)]
    [InlineData("192.0.2.1", true)]
    [InlineData("192.88.99.1", true)]
    [InlineData("192.168.1.1", true)]
    [InlineData("198.18.0.1", true)]
    [InlineData("198.19.255.255", true)]
    [InlineData("198.51.100.1", true)]
    [InlineData("203.0.113.1", true)]
    [InlineData("224.0.0.1", true)]
    [InlineData("239.255.255.250", true)]
    [InlineData("240.0.0.1", true)]
    [InlineData("255.255.255.255", true)]
    // Public IPv4, next to internal ranges
    [InlineData("8.8.8.8", false)]
    [InlineData("11.0.0.1", false)]
    [InlineData("100.128.0.1", false)]
    [InlineData("172.32.0.1", false)]
    [InlineData("198.20.0.1", false)]
    [InlineData("93.184.215.14", false)]
    // Internal and reserved IPv6
    [InlineData("::", true)]
    [InlineData("::1", true)]
    [InlineData("fc00::1", true)]
    [InlineData("fd12:3456::1", true)]
    [InlineData("fe80::1", true)]
    [InlineData("fec0::1", true)]
    [InlineData("ff02::1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("3fff::1", true)]
    [InlineData("100::1", true)]
    [InlineData("2001:2::1", true)]
    [InlineData("2001:20::1", true)]
    [InlineData("4000::1", true)] // outside 2000::/3: not allocated
    // IPv6 forms carrying an IPv4 address, judged by it
    [InlineData("::ffff:192.168.1.1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)]
    [InlineData("::127.0.0.1", true)]
    [InlineData("::8.8.8.8", false)]
    [InlineData("64:ff9b::7f00:1", true)]
    [InlineData("64:ff9b::a9fe:a9fe", true)]
    [InlineData("64:ff9b::808:808", false)]
    [InlineData("64:ff9b:1::808:808", true)] // local-use NAT64, refused outright
    [InlineData("2002:7f00:1::", true)]
    [InlineData("2002:c0a8:101::1", true)]
    [InlineData("2002:808:808::1", false)]
    [InlineData("2001:0:4136:e378:8000:63bf:80ff:fffe", true)] // Teredo: client 127.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:3f57:fefe", true)] // Teredo: client 192.168.1.1
    [InlineData("2001:0:a00:1:8000:63bf:a247:28f1", true)] // Teredo: server 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:a247:28f1", false)] // Teredo: server 65.54.227.120, client 93.184.215.14
    // Public IPv6
    [InlineData("2001:4860:4860::8888", false)]
    [InlineData("2606:4700:4700::1111", false)]
    public void TheAddressRuleCoversEveryInternalRangeAndEveryIPv6FormCarryingOne(string address, bool isInternal) =>
        Assert.Equal(isInternal, InternalAddresses.Contains(IPAddress.Parse(address)));

    [Fact]
    public void TeredoCarriesItsServerInBits32To63AndItsClientInvertedInTheLast32()
    {
        var carried = InternalAddresses.EmbeddedIPv4(IPAddress.Parse("2001:0:4136:e378:8000:63bf:a247:28f1"));

        Assert.Equal([IPAddress.Parse("65.54.227.120"), IPAddress.Parse("93.184.215.14")], carried);
    }
}

/// <summary>The service with the relay on and private networks refused, as in production (http allowed for the loopback receiver).</summary>
public sealed class GuardedNotifierFactory : NotifierFactory
{
    protected override bool AllowPrivateNetworks => false;
}

/// <summary>
/// SSRF at connection time: a name registered while it resolved to a public address and then resolving to the loopback
/// receiver (DNS rebinding) is never connected to; the delivery fails and says why.
/// </summary>
public sealed class EndpointRebindingTests(GuardedNotifierFactory factory) : IClassFixture<GuardedNotifierFactory>, IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [InlineData("rebind4.example.com", "127.0.0.1")]
    [InlineData("rebind6.example.com", "::ffff:127.0.0.1")] // a dual-stack socket reaches 127.0.0.1 through it
    public async Task ANameThatTurnsInternalAfterRegistrationIsNeverConnectedTo(string host, string internalAddress)
    {
        factory.Resolver.Map(host, TestResolver.PublicAddress);
        await SetEndpointAsync(factory, $"http://{host}:{new Uri(_receiver.Url).Port}/hooks");
        factory.Resolver.Map(host, internalAddress); // the name's owner points it at the service's own network

        var id = await RaiseAsync(factory, NewCustomer());

        await SettledAsync(factory, id, attempts: 1);
        var message = await MessageAsync(factory, id);
        Assert.False(message.Delivered);
        Assert.StartsWith("refused: The endpoint's host resolves only to internal addresses", message.LastError);
        Assert.Empty(_receiver.Received);
    }
}
