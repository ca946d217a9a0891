using System.Net;

namespace Privacy.Api.Notifications;

/// <summary>
/// Resolves a webhook endpoint's host name, for <see cref="EndpointGuard"/> at registration and at every connection. The
/// tests put one of their own in its place, so they decide what a name resolves to (and when that changes).
/// </summary>
public interface IEndpointResolver
{
    /// <summary>The host's addresses; throws <see cref="System.Net.Sockets.SocketException"/> when the name does not resolve.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system's resolver (DNS, hosts file).</summary>
public sealed class DnsEndpointResolver : IEndpointResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}
