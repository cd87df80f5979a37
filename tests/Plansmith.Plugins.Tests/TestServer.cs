using System.Net;
using System.Text;
using Plansmith.Plugins.Tests.Hostile;

namespace Plansmith.Plugins.Tests;

/// <summary>
/// A loopback HTTP server answering with a handler, for the web providers and fetch_url. A
/// <see cref="LoopbackHttpServer"/> underneath: bound to port 0 and the port read back, so no other
/// process can take the port between choosing and binding it.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly LoopbackHttpServer _server;

    public TestServer(Func<TestServerRequest, Task<(int Status, string ContentType, byte[] Body)>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _server = new LoopbackHttpServer(async request =>
        {
            var received = new TestServerRequest(new Uri(BaseAddress, request.Target), request.Headers);
            lock (Requests)
            {
                Requests.Add(received);
            }

            var (status, type, body) = await handler(received);
            var reason = status == 200 ? "OK" : ((HttpStatusCode)status).ToString();
            var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: {type}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            return [.. head, .. body];
        });
    }

    public Uri BaseAddress => _server.BaseAddress;

    public List<TestServerRequest> Requests { get; } = [];

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
