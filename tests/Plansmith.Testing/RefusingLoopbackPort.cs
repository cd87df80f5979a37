using System.Net;
using System.Net.Sockets;

namespace Plansmith.Testing;

/// <summary>
/// A loopback port that refuses connections for as long as this lives: a socket bound to port 0
/// that never listens. The port stays taken, so no other process can start listening on it while a
/// test counts on the refusal (a port probed and closed again could be taken by anyone).
/// </summary>
public sealed class RefusingLoopbackPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingLoopbackPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
