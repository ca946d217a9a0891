using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Privacy.Api.Platform.Security;
using Privacy.Api.Tests.Consent;
using Privacy.Api.Tests.Infrastructure;

namespace Privacy.Api.Tests.Platform;

/// <summary>
/// What the tests of forwarded headers do, over real connections to the service on Kestrel from chosen loopback addresses:
/// spend the banner key's per-address budget, and record a banner decision whose proof keeps the client's address.
/// </summary>
public static class Forwarding
{
    /// <summary>The service on Kestrel with a banner budget of 3 requests an hour per client address.</summary>
    public class Factory : BrowsablePrivacyApiFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Banner:RateLimitPermits", "3");
            builder.UseSetting("Banner:RateLimitWindow", "01:00:00"); // no window ends during a test
        }
    }

    public static HttpClient BannerFrom(Factory factory, string source) =>
        LoopbackClient.From(factory.BaseUrl, source, PrivacyApiFactory.Keys[Roles.Banner]);

    /// <summary>One banner request per <c>X-Forwarded-For</c> value; their statuses.</summary>
    public static async Task<List<HttpStatusCode>> ReadAs(HttpClient client, params string[] forwardedFor)
    {
        var statuses = new List<HttpStatusCode>();
        foreach (var value in forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/consent/subjects/visitor/{ConsentRequests.NewVisitorId()}");
            request.Headers.Add("X-Forwarded-For", value);
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    /// <summary>Records a banner decision sent with <paramref name="forwardedFor"/>; the address its proof keeps.</summary>
    public static async Task<string> ProofAddress(PrivacyApiFactory factory, HttpClient client, string forwardedFor)
    {
        var visitor = ConsentRequests.NewVisitorId();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/consent/decisions")
        {
            Content = System.Net.Http.Json.JsonContent.Create(
                ConsentRequests.Decision("visitor", visitor, [("cookies.statistics", "granted")], withProof: false), options: HttpAssertions.Json),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await using var connection = await factory.OpenDatabaseAsync();
        await using var read = new Npgsql.NpgsqlCommand(
            "SELECT host(p.ip_address) FROM privacy.consent_proofs p JOIN privacy.consent_events e ON e.id = p.event_id WHERE e.subject_id = $1",
            connection);
        read.Parameters.AddWithValue(visitor);
        return (string)(await read.ExecuteScalarAsync())!;
    }

    public static readonly HttpStatusCode[] ThreeThenRefused =
        [HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests];
}

/// <summary>
/// No proxy configured: <c>X-Forwarded-For</c> is ignored from every caller, loopback included (which the framework's own
/// defaults would trust).
/// </summary>
public sealed class ForwardedHeadersIgnoredTests(ForwardedHeadersIgnoredTests.Factory factory) : IClassFixture<ForwardedHeadersIgnoredTests.Factory>
{
    public sealed class Factory : Forwarding.Factory;

    [Fact]
    public async Task WithoutKnownProxiesXForwardedForDoesNotChooseTheRateLimitBudget()
    {
        using var client = Forwarding.BannerFrom(factory, "127.0.0.1");

        var statuses = await Forwarding.ReadAs(client, "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4");

        Assert.Equal(Forwarding.ThreeThenRefused, statuses); // one budget: the connection's
    }

    [Fact]
    public async Task WithoutKnownProxiesXForwardedForIsNotTheConsentProofsAddress()
    {
        using var client = Forwarding.BannerFrom(factory, "127.0.0.3");

        Assert.Equal("127.0.0.3", await Forwarding.ProofAddress(factory, client, "198.51.100.7"));
    }
}

/// <summary>
/// A proxy at 127.0.0.1 and a proxy network 127.0.1.0/24 configured: their <c>X-Forwarded-For</c> names the client, anyone
/// else's is ignored.
/// </summary>
public sealed class ForwardedHeadersFromKnownProxiesTests(ForwardedHeadersFromKnownProxiesTests.Factory factory)
    : IClassFixture<ForwardedHeadersFromKnownProxiesTests.Factory>
{
    public sealed class Factory : Forwarding.Factory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ForwardedHeaders:KnownProxies:0", "127.0.0.1");
            builder.UseSetting("ForwardedHeaders:KnownNetworks:0", "127.0.1.0/24");
        }
    }

    [Fact]
    public async Task FromAKnownProxyEachForwardedClientHasItsOwnBudget()
    {
        using var proxy = Forwarding.BannerFrom(factory, "127.0.0.1");

        var first = await Forwarding.ReadAs(proxy, "198.51.100.7", "198.51.100.7", "198.51.100.7", "198.51.100.7");
        var second = await Forwarding.ReadAs(proxy, "198.51.100.8");

        Assert.Equal(Forwarding.ThreeThenRefused, first);
        Assert.Equal([HttpStatusCode.OK], second); // another client behind the same proxy
    }

    [Fact]
    public async Task FromAKnownProxyOrNetworkTheForwardedClientIsTheConsentProofsAddress()
    {
        using var proxy = Forwarding.BannerFrom(factory, "127.0.0.1");
        using var inNetwork = Forwarding.BannerFrom(factory, "127.0.1.5");

        Assert.Equal("198.51.100.20", await Forwarding.ProofAddress(factory, proxy, "198.51.100.20"));
        Assert.Equal("198.51.100.21", await Forwarding.ProofAddress(factory, inNetwork, "198.51.100.21"));
        // What the client wrote before the proxy's entry is not believed: the proxy appends the address it saw.
        Assert.Equal("198.51.100.22", await Forwarding.ProofAddress(factory, proxy, "203.0.113.50, 198.51.100.22"));
    }

    [Fact]
    public async Task FromAnAddressThatIsNoKnownProxyXForwardedForIsIgnored()
    {
        using var caller = Forwarding.BannerFrom(factory, "127.0.0.2");
        using var other = Forwarding.BannerFrom(factory, "127.0.0.4");

        var statuses = await Forwarding.ReadAs(caller, "198.51.100.31", "198.51.100.32", "198.51.100.33", "198.51.100.34");

        Assert.Equal(Forwarding.ThreeThenRefused, statuses);
        Assert.Equal("127.0.0.4", await Forwarding.ProofAddress(factory, other, "198.51.100.35"));
    }
}

/// <summary>
/// The settings are checked when the service starts (on the options, as the host's ValidateOnStart does: a host failing its
/// start inside WebApplicationFactory sometimes surfaces as ObjectDisposedException).
/// </summary>
public sealed class TrustedProxyOptionsTests
{
    private static OptionsValidationException Refused(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTrustedProxies();
        using var services = builder.Services.BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value);
    }

    [Theory]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.0.0.300", "ForwardedHeaders:KnownProxies:0 ('10.0.0.300')")]
    [InlineData("ForwardedHeaders:KnownProxies:0", "10.1", "ForwardedHeaders:KnownProxies:0 ('10.1')")] // shorthand for 10.0.0.1
    [InlineData("ForwardedHeaders:KnownProxies:0", "proxy.internal", "ForwardedHeaders:KnownProxies:0 ('proxy.internal')")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.0')")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/33", "ForwardedHeaders:KnownNetworks:0 ('10.0.0.0/33')")]
    [InlineData("ForwardedHeaders:KnownProxies", "10.0.0.1,10.0.0.2", "ForwardedHeaders:KnownProxies is a list")]
    public void AnInvalidTrustedProxyEntryStopsTheStartAndIsNamed(string key, string value, string named) =>
        Assert.Contains(named, Refused(new() { [key] = value, ["ForwardedHeaders:KnownProxies:5"] = "10.0.0.12" }).Message);

    [Fact]
    public void TheFrameworksForwardedHeadersSwitchThatTrustsEveryCallerStopsTheStart()
    {
        var refused = Refused(new() { ["ForwardedHeaders_Enabled"] = "TRUE", ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.12" });

        Assert.Contains("ASPNETCORE_FORWARDEDHEADERS_ENABLED", refused.Message);
    }

    [Fact]
    public void ValidProxiesAndNetworksAreTaken()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies:0"] = "10.0.0.12", ["ForwardedHeaders:KnownProxies:1"] = "fd00::12",
            ["ForwardedHeaders:KnownNetworks:0"] = "10.244.0.0/16", ["ForwardedHeaders_Enabled"] = "false",
        });
        builder.AddTrustedProxies();
        using var services = builder.Services.BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<TrustedProxyOptions>>().Value;

        Assert.Equal(["10.0.0.12", "fd00::12"], options.KnownProxies);
        Assert.Equal(["10.244.0.0/16"], options.KnownNetworks);
    }
}
