using System.Net;
using System.Net.Sockets;

namespace Plansmith.Testing;

/// <summary>
/// An OpenAI-compatible HTTP server on 127.0.0.1 and a free port, serving a <see cref="ScriptedModel"/>
/// at <c>/v1/chat/completions</c>. Real sockets, real HTTP: what a provider sees.
/// </summary>
public sealed class LoopbackOpenAIServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ScriptedModel _model;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public LoopbackOpenAIServer(ScriptedModel model)
    {
        _model = model;
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public Uri BaseAddress { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
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

            _ = Task.Run(() => ServeAsync(context));
        }
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        using var reader = new StreamReader(context.Request.InputStream);
        var body = await reader.ReadToEndAsync();
        var answer = context.Request.Url!.AbsolutePath.TrimEnd('/') != "/v1/chat/completions"
            ? new ModelAnswer(404, "application/json", """{"error":{"message":"not found"}}"""u8.ToArray(), null)
            : await _model.AnswerAsync(new ModelRequest(body, context.Request.Url.AbsolutePath, context.Request.Headers["Authorization"], context.Request.Headers[ModelRequest.PromptHeader]));
        if (answer.Drop)
        {
            context.Response.Abort();
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        if (answer.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers["Retry-After"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        try
        {
            if (answer.WriteBodyAsync is { } write)
            {
                // Chunked: each piece goes out when it is written, not when the whole body is.
                context.Response.SendChunked = true;
                await write(context.Response.OutputStream, _stop.Token);
            }
            else
            {
                context.Response.ContentLength64 = answer.Body.Length;
                await context.Response.OutputStream.WriteAsync(answer.Body);
            }

            context.Response.Close();
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // The client gave up (a timeout test), or the server is stopping.
        }
    }
}
