using System.Net;
using System.Net.Sockets;

namespace Plansmith.Plugins.Search;

/// <summary>
/// The network as <see cref="UrlFetcher"/> sees it: name resolution, TCP connects and the machine's
/// own addresses. A seam so that tests can answer with any address while only ever opening sockets
/// to loopback; the checks themselves stay in <see cref="UrlFetcher"/> and <see cref="AddressPolicy"/>.
/// </summary>
internal interface IFetchNetwork
{
    /// <summary>The addresses of <paramref name="host"/>.</summary>
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);

    /// <summary>A TCP socket connected to <paramref name="endPoint"/>.</summary>
    Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken);

    /// <summary>The addresses of this machine's interfaces.</summary>
    IEnumerable<IPAddress> GetOwnAddresses();
}
