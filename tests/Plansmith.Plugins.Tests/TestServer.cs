using System.Net;
using System.Net.Sockets;

namespace Plansmith.Plugins.Tests;

/// <summary>A loopback HTTP server answering with a handler, for the web providers and fetch_url.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, Task<(int Status, string ContentType, byte[] Body)>> _handler;
    private readonly Task _loop;

    public TestServer(Func<HttpListenerRequest, Task<(int Status, string ContentType, byte[] Body)>> handler)
    {
        _handler = handler;
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(BaseAddress.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; }

    public List<HttpListenerRequest> Requests { get; } = [];

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
        {
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            lock (Requests)
            {
                Requests.Add(context.Request);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    var (status, type, body) = await _handler(context.Request);
                    context.Response.StatusCode = status;
                    context.Response.ContentType = type;
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                    context.Response.Close();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException)
                {
                    // The client went away (a timeout test).
                }
            });
        }
    }
}
