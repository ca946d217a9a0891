using System.Net;
using System.Net.Sockets;

namespace Privacy.Api.Notifications;

/// <summary>
/// Keeps a recipient's URL from reaching internal services (SSRF): https only, no credentials, and no loopback,
/// private, link-local or otherwise internal address, neither in the URL nor behind its name when connecting.
/// </summary>
public static class EndpointGuard
{
    /// <summary>Why <paramref name="url"/> cannot be a webhook endpoint, or null when it can.</summary>
    public static string? Check(string? url, NotifierOptions options)
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

        if (!options.AllowPrivateNetworks && IsInternalHost(uri))
        {
            return "'url' must not point at a loopback, private or link-local address or an internal name.";
        }

        return null;
    }

    private static bool IsInternalHost(Uri uri)
    {
        var host = uri.IdnHost.TrimEnd('.');
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return IsInternal(address);
        }

        return !host.Contains('.', StringComparison.Ordinal)
               || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
               || new[] { ".localhost", ".local", ".internal", ".lan", ".home.arpa", ".cluster.local" }
                   .Any(suffix => host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Loopback, private (RFC 1918, ULA), link-local, carrier-grade NAT, unspecified, multicast or broadcast.</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] is 0 or 10 or 127 || b[0] >= 224
                   || (b[0] == 100 && b[1] is >= 64 and <= 127)
                   || (b[0] == 169 && b[1] == 254)
                   || (b[0] == 172 && b[1] is >= 16 and <= 31)
                   || (b[0] == 192 && b[1] == 168)
                   || (b[0] == 192 && b[1] == 0 && b[2] == 0);
        }

        var v6 = address.GetAddressBytes();
        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || (v6[0] & 0xFE) == 0xFC;
    }

    /// <summary>
    /// Connects only to addresses that are not internal (unless allowed), so a name that resolves to an internal
    /// address, or changes to one after registration (DNS rebinding), is refused at connect time too.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken);
        var allowed = addresses.Where(a => allowPrivate || !IsInternal(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"The endpoint host resolves to no allowed address ({addresses.Length} internal or none).");
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
}
