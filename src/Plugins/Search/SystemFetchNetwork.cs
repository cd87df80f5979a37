using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Plansmith.Plugins.Search;

/// <summary>The real network.</summary>
internal sealed class SystemFetchNetwork : IFetchNetwork
{
    /// <inheritdoc />
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);

    /// <inheritdoc />
    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        // Dual mode, so that IPv4-mapped IPv6 addresses connect too.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public IEnumerable<IPAddress> GetOwnAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address);
}
