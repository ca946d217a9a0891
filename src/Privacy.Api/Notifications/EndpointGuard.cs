using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Privacy.Api.Notifications;

/// <summary>
/// Keeps a recipient's URL from reaching internal services (SSRF): https only, no credentials, no internal name, and no
/// address <see cref="InternalAddresses"/> contains, neither when the URL is registered (every address its host resolves to)
/// nor when the relay connects (every address it would connect to, resolved again: the name may have changed since,
/// DNS rebinding). <see cref="NotifierOptions.AllowHttp"/> and <see cref="NotifierOptions.AllowPrivateNetworks"/> lift the rules.
/// </summary>
public sealed class EndpointGuard(IEndpointResolver resolver, IOptions<NotifierOptions> options)
{
    private static readonly string[] InternalSuffixes = [".localhost", ".local", ".internal", ".lan", ".home.arpa", ".cluster.local"];

    /// <summary>Why <paramref name="url"/> is not a well-formed webhook URL (400), or null when it is; where it points is <see cref="RefusalAsync"/>'s.</summary>
    public static string? CheckShape(string? url, NotifierOptions options)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return "'url' must be an absolute https URL.";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !options.AllowHttp)
        {
            return "'url' must use https.";
        }

        if (uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
        {
            return "'url' must not carry credentials or a fragment (the requests are signed instead).";
        }

        return null;
    }

    /// <summary>
    /// Why a well-formed <paramref name="url"/> must not be registered (422), or null when it may: its host is an internal
    /// name, does not resolve, or any of its addresses is internal (one internal address among public ones is enough: the
    /// relay could be sent to it on any connection).
    /// </summary>
    public async Task<string?> RefusalAsync(string url, CancellationToken cancellationToken)
    {
        if (options.Value.AllowPrivateNetworks)
        {
            return null; // nothing about the host is judged, so it need not resolve here either
        }

        var host = HostOf(new Uri(url).IdnHost);
        if (IsInternalName(host))
        {
            return "'url' must not name an internal host (localhost, a name without a dot, .internal, .local and the like).";
        }

        var addresses = await AddressesAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            return "'url': the host name does not resolve.";
        }

        return addresses.Any(InternalAddresses.Contains)
            ? "'url' must not point at a loopback, private, link-local or otherwise internal address, nor at a name that resolves to one."
            : null;
    }

    /// <summary>
    /// The relay's connect callback: resolves the host again and connects only to the addresses that pass the same rule as
    /// registration; when none does, there is no connection and the delivery fails with <see cref="EndpointRefusedException"/>.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = await AddressesAsync(HostOf(endpoint.Host), cancellationToken);
        var allowed = options.Value.AllowPrivateNetworks ? addresses : [.. addresses.Where(a => !InternalAddresses.Contains(a))];
        if (allowed.Length == 0)
        {
            throw new EndpointRefusedException(addresses.Length == 0
                ? "The endpoint's host name does not resolve."
                : $"The endpoint's host resolves only to internal addresses ({addresses.Length}); no connection was made.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, endpoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The address a literal host is, or what the resolver says the name is (none when it does not resolve).</summary>
    private async Task<IPAddress[]> AddressesAsync(string host, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
        {
            return [literal];
        }

        try
        {
            return await resolver.ResolveAsync(host, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            return []; // no such name, or not a name the resolver accepts
        }
    }

    private static string HostOf(string host) => host.Trim('[', ']').TrimEnd('.');

    private static bool IsInternalName(string host) =>
        !IPAddress.TryParse(host, out _)
        && (!host.Contains('.', StringComparison.Ordinal)
            || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || InternalSuffixes.Any(suffix => host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)));
}

/// <summary>The relay refused to connect to a webhook endpoint because its host resolves to no address it may reach.</summary>
public sealed class EndpointRefusedException(string message) : IOException(message);
