using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace DataPlatform.Gateway.RateLimiting;

/// <summary>
/// The consumer an anonymous call is limited as: its client address, an IPv4 address as itself (also when it
/// arrives mapped into IPv6), an IPv6 address by its /64 prefix. A subscriber is normally given at least a whole
/// /64, so counting single IPv6 addresses would let one client multiply the anonymous limit by rotating through
/// its own addresses.
/// </summary>
static class AnonymousPartition
{
    public static string Of(IPAddress? address)
    {
        if (address is null)
        {
            return "ip:unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return "ip:" + address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return string.Create(CultureInfo.InvariantCulture, $"ip:{new IPAddress(bytes)}/64");
    }
}
