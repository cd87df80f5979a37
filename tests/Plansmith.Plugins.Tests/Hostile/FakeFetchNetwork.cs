using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// A network where names resolve to whatever the test says and connects reach only loopback:
/// an address with a route connects to its loopback stand-in, any other connect is recorded and
/// refused without opening a socket. So tests can claim any address while nothing leaves the machine.
/// </summary>
internal sealed class FakeFetchNetwork : IFetchNetwork
{
    private readonly Func<string, int, IPAddress[]> _resolve;
    private readonly Dictionary<IPEndPoint, IPEndPoint> _routes = [];
    private int _resolutions;

    /// <param name="resolve">Answers a host name, given how many resolutions came before (0 for the first).</param>
    public FakeFetchNetwork(Func<string, int, IPAddress[]> resolve)
    {
        _resolve = resolve;
    }

    public ConcurrentQueue<string> Resolved { get; } = new();

    public ConcurrentQueue<IPEndPoint> ConnectsAsked { get; } = new();

    public IPAddress[] Own { get; set; } = [IPAddress.Loopback, IPAddress.IPv6Loopback];

    public int OwnAddressQueries { get; private set; }

    /// <summary>Connects to <paramref name="claimed"/> go to <paramref name="loopback"/> instead.</summary>
    public FakeFetchNetwork Route(IPEndPoint claimed, IPEndPoint loopback)
    {
        Assert.True(IPAddress.IsLoopback(loopback.Address), "tests only ever connect to loopback");
        _routes[claimed] = loopback;
        return this;
    }

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        Resolved.Enqueue(host);
        return Task.FromResult(_resolve(host, Interlocked.Increment(ref _resolutions) - 1));
    }

    public async Task<Socket> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        ConnectsAsked.Enqueue(endPoint);
        if (!_routes.TryGetValue(endPoint, out var loopback))
        {
            throw new SocketException((int)SocketError.ConnectionRefused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(loopback, cancellationToken);
        return socket;
    }

    public IEnumerable<IPAddress> GetOwnAddresses()
    {
        OwnAddressQueries++;
        return Own;
    }
}
