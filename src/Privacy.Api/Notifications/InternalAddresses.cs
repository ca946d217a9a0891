using System.Net;
using System.Net.Sockets;

namespace Privacy.Api.Notifications;

/// <summary>
/// The one rule for which addresses a webhook may reach (SSRF): none that is loopback, private, link-local, carrier-grade NAT,
/// multicast, unspecified, reserved or for documentation, and no IPv6 address that carries such an IPv4 address. Registration
/// and the relay's connect callback both ask <see cref="Contains"/>, through <see cref="EndpointGuard"/>.
/// </summary>
/// <remarks>
/// IPv6 forms that carry an IPv4 address are judged by that address, since a packet sent to them ends there: mapped
/// (<c>::ffff:0:0/96</c>) and compatible (<c>::/96</c>) by their last 32 bits, NAT64's well-known prefix (<c>64:ff9b::/96</c>)
/// too, 6to4 (<c>2002::/16</c>) by bits 16–47, Teredo (<c>2001::/32</c>) by its server (bits 32–63) and its client (the last
/// 32 bits, inverted); any internal one makes the address internal. None of these prefixes is refused outright: an IPv6-only
/// cluster behind DNS64 reaches every IPv4-only partner through <c>64:ff9b::/96</c>, and a public IPv4 address behind 6to4 or
/// Teredo goes where any public address goes. The local-use NAT64 prefix <c>64:ff9b:1::/48</c> (RFC 8215) is refused outright:
/// where it carries the IPv4 address depends on a prefix length only its operator knows, so no address in it can be judged.
/// </remarks>
public static class InternalAddresses
{
    private static readonly IPNetwork[] IPv4 =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network"; 0.0.0.0 reaches the host itself
        IPNetwork.Parse("10.0.0.0/8"), // private (RFC 1918)
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT (RFC 6598)
        IPNetwork.Parse("127.0.0.0/8"), // loopback
        IPNetwork.Parse("169.254.0.0/16"), // link-local, where cloud metadata answers (169.254.169.254)
        IPNetwork.Parse("172.16.0.0/12"), // private
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"), // documentation (TEST-NET-1)
        IPNetwork.Parse("192.88.99.0/24"), // the retired 6to4 relay anycast (RFC 7526)
        IPNetwork.Parse("192.168.0.0/16"), // private
        IPNetwork.Parse("198.18.0.0/15"), // benchmarking
        IPNetwork.Parse("198.51.100.0/24"), // documentation (TEST-NET-2)
        IPNetwork.Parse("203.0.113.0/24"), // documentation (TEST-NET-3)
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, with the broadcast address 255.255.255.255
    ];

    /// <summary>IPv6 ranges that are internal in themselves (those carrying an IPv4 address are judged by it first).</summary>
    private static readonly IPNetwork[] IPv6 =
    [
        IPNetwork.Parse("::/128"), // unspecified
        IPNetwork.Parse("::1/128"), // loopback
        IPNetwork.Parse("64:ff9b:1::/48"), // local-use NAT64: see the remarks
        IPNetwork.Parse("100::/64"), // discard-only
        IPNetwork.Parse("2001:2::/48"), // benchmarking
        IPNetwork.Parse("2001:10::/28"), // ORCHID (retired)
        IPNetwork.Parse("2001:20::/28"), // ORCHIDv2: identifiers, not locators
        IPNetwork.Parse("2001:db8::/32"), // documentation
        IPNetwork.Parse("3fff::/20"), // documentation (RFC 9637)
        IPNetwork.Parse("fc00::/7"), // unique local (private)
        IPNetwork.Parse("fe80::/10"), // link-local
        IPNetwork.Parse("fec0::/10"), // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    /// <summary>Every global unicast address IANA allocates is in here; the rest of the IPv6 space is reserved.</summary>
    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    private static readonly IPNetwork Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");

    /// <summary>Whether a webhook must not reach <paramref name="address"/> (see the class's summary).</summary>
    public static bool Contains(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IPv4.Any(n => n.Contains(address));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return true; // not an internet address at all
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return Contains(address.MapToIPv4()); // before any IPNetwork: its Contains compares a mapped address as IPv4
        }

        if (IPv6.Any(n => n.Contains(address)))
        {
            return true;
        }

        var embedded = EmbeddedIPv4(address);
        return embedded.Count > 0 ? embedded.Any(Contains) : !GlobalUnicast.Contains(address);
    }

    /// <summary>The IPv4 addresses an IPv6 address carries and sends its packets to (see the remarks); none for other addresses.</summary>
    public static IReadOnlyList<IPAddress> EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return [];
        }

        var bytes = address.GetAddressBytes();
        if (address.IsIPv4MappedToIPv6 || Compatible.Contains(address) || Nat64.Contains(address))
        {
            return [new IPAddress(bytes.AsSpan(12, 4))];
        }

        if (SixToFour.Contains(address))
        {
            return [new IPAddress(bytes.AsSpan(2, 4))];
        }

        if (Teredo.Contains(address))
        {
            var client = bytes[12..16];
            for (var i = 0; i < client.Length; i++)
            {
                client[i] ^= 0xff; // Teredo stores its client's address inverted
            }

            return [new IPAddress(bytes.AsSpan(4, 4)), new IPAddress(client)];
        }

        return [];
    }
}
