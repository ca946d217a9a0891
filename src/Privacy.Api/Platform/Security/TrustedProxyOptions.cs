namespace Privacy.Api.Platform.Security;

/// <summary>
/// The proxies (an ingress, a load balancer) whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> the service believes.
/// None by default: then the headers are ignored and the client is the connection's peer. The client address decides the
/// banner key's rate limit and is the consent proof's IP address (R7, Art 7(1)), so only a listed proxy may name it.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>The framework's own switch (<c>ASPNETCORE_FORWARDEDHEADERS_ENABLED</c>), which trusts every caller.</summary>
    public const string FrameworkSwitch = "ForwardedHeaders_Enabled";

    /// <summary>Addresses of trusted proxies, e.g. <c>10.0.0.12</c> (<c>ForwardedHeaders:KnownProxies:0</c>, <c>:1</c> …).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation, e.g. <c>10.244.0.0/16</c> (<c>ForwardedHeaders:KnownNetworks:0</c> …).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>No proxy is trusted: forwarded headers are not read at all.</summary>
    public bool IsEmpty => KnownProxies.Count == 0 && KnownNetworks.Count == 0;
}
