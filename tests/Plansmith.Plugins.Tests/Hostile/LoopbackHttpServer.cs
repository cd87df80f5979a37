using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// A raw HTTP/1.1 server on 127.0.0.1, bound to port 0, answering each request with whatever the
/// handler writes (so a test can send any status and Location). Counts connections and requests.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<LoopbackHttpRequest, Task<byte[]>> _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _connections;
    private int _requests;

    /// <param name="respond">Takes the request target (e.g. "/a?b") and returns the raw response head and body.</param>
    public LoopbackHttpServer(Func<string, string> respond)
        : this(request => Task.FromResult(Encoding.UTF8.GetBytes(respond(request.Target))))
    {
    }

    /// <param name="respond">Takes the request (target and headers) and returns the raw response bytes, head and body.</param>
    public LoopbackHttpServer(Func<LoopbackHttpRequest, Task<byte[]>> respond)
    {
        _respond = respond;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public int Connections => Volatile.Read(ref _connections);

    public int Requests => Volatile.Read(ref _requests);

    public static string Response(int status, string reason, string body = "", params string[] headers) =>
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n"
        + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n" + body;

    public static string Redirect(string location) => Response(302, "Found", string.Empty, "Location: " + location);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) && head.Length < 65_536)
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }

                Interlocked.Increment(ref _requests);
                var lines = head.ToString().Split("\r\n\r\n", 2)[0].Split("\r\n");
                var headers = lines.Skip(1)
                    .Select(l => l.Split(':', 2))
                    .Where(p => p.Length == 2)
                    .GroupBy(p => p[0].Trim(), StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.Last()[1].Trim(), StringComparer.OrdinalIgnoreCase);
                var response = await _respond(new LoopbackHttpRequest(lines[0].Split(' ', 3)[1], headers));
                await stream.WriteAsync(response, _stop.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }
}
