using System.Net;
using System.Net.Sockets;

namespace Plansmith.Plugins.Search;

/// <summary>
/// Which addresses <c>fetch_url</c> may connect to: an allow-list of public unicast space. Every
/// range of the IANA IPv4 and IPv6 special-purpose registries is refused, every IPv6 address outside
/// 2000::/3 is refused, IPv4-mapped IPv6 addresses are judged by their IPv4 address, and the
/// machine's own addresses are refused even when public. The one place where addresses are judged:
/// literal hosts, resolved addresses and connected sockets all come here.
/// </summary>
/// <remarks>
/// All of 2001::/23 is refused, although the registry marks a few assignments in it as globally
/// reachable (2001:1::1/128 and 2001:1::2/128 anycast, 2001:3::/32 AMT, 2001:4:112::/48 AS112,
/// 2001:20::/28 ORCHIDv2): none serves web pages, and one rule is easier to trust than six
/// exceptions. Likewise all of 192.0.0.0/24, 192.31.196.0/24 and 192.175.48.0/24.
/// </remarks>
internal static class AddressPolicy
{
    private static readonly (IPNetwork Network, string Name, bool NeverUnicast)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/32"), "unspecified", true),
        (IPNetwork.Parse("0.0.0.0/8"), "'this network' 0.0.0.0/8", false),
        (IPNetwork.Parse("10.0.0.0/8"), "private 10.0.0.0/8", false),
        (IPNetwork.Parse("100.64.0.0/10"), "shared address space (CGNAT) 100.64.0.0/10", false),
        (IPNetwork.Parse("127.0.0.0/8"), "loopback 127.0.0.0/8", false),
        (IPNetwork.Parse("169.254.0.0/16"), "link-local 169.254.0.0/16", false),
        (IPNetwork.Parse("172.16.0.0/12"), "private 172.16.0.0/12", false),
        (IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignments 192.0.0.0/24", false),
        (IPNetwork.Parse("192.0.2.0/24"), "documentation 192.0.2.0/24", false),
        (IPNetwork.Parse("192.31.196.0/24"), "AS112 192.31.196.0/24", false),
        (IPNetwork.Parse("192.52.193.0/24"), "AMT 192.52.193.0/24", false),
        (IPNetwork.Parse("192.88.99.0/24"), "6to4 relay anycast 192.88.99.0/24", false),
        (IPNetwork.Parse("192.168.0.0/16"), "private 192.168.0.0/16", false),
        (IPNetwork.Parse("192.175.48.0/24"), "AS112 192.175.48.0/24", false),
        (IPNetwork.Parse("198.18.0.0/15"), "benchmarking 198.18.0.0/15", false),
        (IPNetwork.Parse("198.51.100.0/24"), "documentation 198.51.100.0/24", false),
        (IPNetwork.Parse("203.0.113.0/24"), "documentation 203.0.113.0/24", false),
        (IPNetwork.Parse("224.0.0.0/4"), "multicast 224.0.0.0/4", true),
        (IPNetwork.Parse("255.255.255.255/32"), "broadcast", true),
        (IPNetwork.Parse("240.0.0.0/4"), "reserved 240.0.0.0/4", true),
        (IPNetwork.Parse("::/128"), "unspecified", true),
        (IPNetwork.Parse("::1/128"), "loopback ::1", false),
        (IPNetwork.Parse("::/96"), "IPv4-compatible ::/96", false),
        (IPNetwork.Parse("64:ff9b::/96"), "NAT64 64:ff9b::/96", false),
        (IPNetwork.Parse("64:ff9b:1::/48"), "local NAT64 64:ff9b:1::/48", false),
        (IPNetwork.Parse("100::/64"), "discard-only 100::/64", false),
        (IPNetwork.Parse("2001:db8::/32"), "documentation 2001:db8::/32", false),
        (IPNetwork.Parse("2001::/23"), "IETF protocol assignments 2001::/23 (Teredo, ORCHID, …)", false),
        (IPNetwork.Parse("2002::/16"), "6to4 2002::/16", false),
        (IPNetwork.Parse("3fff::/20"), "documentation 3fff::/20", false),
        (IPNetwork.Parse("5f00::/16"), "SRv6 SIDs 5f00::/16", false),
        (IPNetwork.Parse("fc00::/7"), "unique local fc00::/7", false),
        (IPNetwork.Parse("fe80::/10"), "link-local fe80::/10", false),
        (IPNetwork.Parse("fec0::/10"), "site-local fec0::/10", false),
        (IPNetwork.Parse("ff00::/8"), "multicast ff00::/8", true),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>The special-purpose range <paramref name="address"/> is in, or null for public unicast space.</summary>
    public static string? Classify(IPAddress address) => Find(Normalize(address)).Name;

    /// <summary>
    /// Why <paramref name="address"/> must not be connected to, or null when it may be.
    /// </summary>
    /// <param name="address">The address to judge.</param>
    /// <param name="allowPrivate">Allow every unicast address (<see cref="UrlFetcherOptions.AllowPrivateAddresses"/>); multicast, broadcast and unspecified stay refused.</param>
    /// <param name="exempt">Networks allowed although special (tests allow one loopback address this way).</param>
    /// <param name="ownAddresses">The machine's own addresses; asked for only when the address is otherwise public.</param>
    public static string? Refusal(IPAddress address, bool allowPrivate, IReadOnlyList<IPNetwork> exempt, Func<IEnumerable<IPAddress>> ownAddresses)
    {
        ArgumentNullException.ThrowIfNull(address);
        var normalized = Normalize(address);
        var (name, neverUnicast) = Find(normalized);
        if (neverUnicast)
        {
            return name;
        }

        if (allowPrivate || exempt.Any(network => network.Contains(normalized)))
        {
            return null;
        }

        if (name is not null)
        {
            return name;
        }

        return ownAddresses().Any(own => Normalize(own).Equals(normalized)) ? "this machine's own address" : null;
    }

    /// <summary>IPv4-mapped addresses as IPv4; IPv6 without its scope, so that comparisons are by value.</summary>
    private static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0
            ? new IPAddress(address.GetAddressBytes())
            : address;
    }

    private static (string? Name, bool NeverUnicast) Find(IPAddress address)
    {
        foreach (var (network, name, neverUnicast) in Ranges)
        {
            if (network.Contains(address))
            {
                return (name, neverUnicast);
            }
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(address))
        {
            return ("outside global unicast 2000::/3", false);
        }

        return address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? (null, false)
            : ("not an IP address", true);
    }
}
