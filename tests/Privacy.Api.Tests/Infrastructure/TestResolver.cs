using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Privacy.Api.Notifications;

namespace Privacy.Api.Tests.Infrastructure;

/// <summary>
/// The service's name resolver in the tests: a name resolves to what the test last mapped it to, and any other name does
/// not resolve (as no such name in DNS). No test depends on the machine's DNS or reaches the internet through it.
/// </summary>
public sealed class TestResolver : IEndpointResolver
{
    private readonly ConcurrentDictionary<string, IPAddress[]> _names = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A public address (example.com's, once), for names that must resolve to the internet.</summary>
    public const string PublicAddress = "93.184.215.14";

    /// <summary>From now on <paramref name="host"/> resolves to <paramref name="addresses"/> (none: it does not resolve).</summary>
    public void Map(string host, params string[] addresses) => _names[host] = [.. addresses.Select(IPAddress.Parse)];

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        _names.TryGetValue(host, out var addresses) && addresses.Length > 0
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
