using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Plansmith.Testing;

/// <summary>
/// An OpenAI-compatible endpoint on 127.0.0.1 (bound to port 0) that writes each response exactly
/// as a <see cref="WireReply"/> says: trickled, cut mid-body, never ending, without its stream
/// terminator. Raw HTTP/1.1 over a socket, chunked bodies, one request per connection — so a cut
/// is a real premature end and a trickle is real bytes arriving slowly.
/// </summary>
public sealed class HostileOpenAIServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<ModelRequest, Task<WireReply>> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ModelRequest> _requests = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly bool _awaitConnectionsOnDispose;
    private readonly Task _loop;

    public HostileOpenAIServer(Func<ModelRequest, Task<WireReply>> script)
        : this(script, awaitConnectionsOnDispose: true)
    {
    }

    /// <param name="script">The reply to each request.</param>
    /// <param name="awaitConnectionsOnDispose">
    /// False for a server whose scripts may wait on something the test never releases: dispose then
    /// stops accepting and leaves those connections to end on their own.
    /// </param>
    internal HostileOpenAIServer(Func<ModelRequest, Task<WireReply>> script, bool awaitConnectionsOnDispose)
    {
        _script = script;
        _awaitConnectionsOnDispose = awaitConnectionsOnDispose;
        _listener.Start();
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/");
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>A server that answers every request as <paramref name="model"/> does, unless <paramref name="hostile"/> returns a reply.</summary>
    public HostileOpenAIServer(ScriptedModel model, Func<ModelRequest, WireReply?> hostile)
        : this(async r => hostile(r) ?? WireReply.From(await model.AnswerAsync(r)))
    {
    }

    public Uri BaseAddress { get; }

    public IReadOnlyList<ModelRequest> Requests => [.. _requests];

    public IReadOnlyList<ModelRequest> RequestsFor(string prompt) => [.. _requests.Where(r => r.Prompt == prompt)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
            if (_awaitConnectionsOnDispose)
            {
                await Task.WhenAll(_connections);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            _connections.Add(Task.Run(() => ServeAsync(socket)));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        try
        {
            var (path, headers, body) = await ReadRequestAsync(stream, _stop.Token);
            if (path.Split('?')[0].TrimEnd('/') != "/v1/chat/completions")
            {
                await WriteAsync(stream, WireReply.Text("""{"error":{"message":"not found"}}""", status: 404), _stop.Token);
                return;
            }

            var request = new ModelRequest(body, path, headers.GetValueOrDefault("authorization"), headers.GetValueOrDefault(ModelRequest.PromptHeader.ToLowerInvariant()));
            _requests.Enqueue(request);
            var reply = await _script(request);
            await WriteAsync(stream, reply, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client gave up (a timeout under test) or the server is stopping.
        }
    }

    private static async Task WriteAsync(Stream stream, WireReply reply, CancellationToken cancellationToken)
    {
        if (reply.Status == 0)
        {
            return; // drop the connection without an answer
        }

        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {reply.Status} {Reason(reply.Status)}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {reply.ContentType}\r\n")
            .Append("Transfer-Encoding: chunked\r\nConnection: close\r\n");
        if (reply.RetryAfterSeconds is { } seconds)
        {
            head.Append(CultureInfo.InvariantCulture, $"Retry-After: {seconds}\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        if (reply.WriteBodyAsync is { } write)
        {
            await write(new ChunkedBodyStream(stream), cancellationToken);
        }
        else
        {
            await WritePiecesAsync(stream, reply, cancellationToken);
        }

        if (!reply.Cut)
        {
            await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }
    }

    private static async Task WritePiecesAsync(Stream stream, WireReply reply, CancellationToken cancellationToken)
    {
        do
        {
            foreach (var piece in reply.Pieces)
            {
                if (reply.PieceDelay > TimeSpan.Zero)
                {
                    await Task.Delay(reply.PieceDelay, cancellationToken);
                }

                if (piece.Length == 0)
                {
                    continue;
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes(piece.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken);
                await stream.WriteAsync(piece, cancellationToken);
                await stream.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
                await stream.FlushAsync(cancellationToken);
            }
        }
        while (reply.Endless && !cancellationToken.IsCancellationRequested);
    }

    private static async Task<(string Path, Dictionary<string, string> Headers, string Body)> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "\r\n\r\n"u8)) < 0)
        {
            var read = await stream.ReadAsync(chunk, cancellationToken);
            if (read == 0)
            {
                throw new IOException("The client closed the connection before sending a request.");
            }

            buffer.Write(chunk, 0, read);
        }

        var all = buffer.ToArray();
        var lines = Encoding.ASCII.GetString(all, 0, headerEnd).Split("\r\n");
        var path = lines[0].Split(' ')[1];
        var headers = lines.Skip(1)
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0].Trim().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.Last()[1].Trim());
        var rest = new MemoryStream();
        rest.Write(all, headerEnd + 4, all.Length - headerEnd - 4);
        if (headers.TryGetValue("content-length", out var lengthText))
        {
            var length = int.Parse(lengthText, CultureInfo.InvariantCulture);
            while (rest.Length < length)
            {
                var read = await stream.ReadAsync(chunk, cancellationToken);
                if (read == 0)
                {
                    throw new IOException("The request body ended early.");
                }

                rest.Write(chunk, 0, read);
            }

            return (path, headers, Encoding.UTF8.GetString(rest.GetBuffer(), 0, length));
        }

        if (headers.TryGetValue("transfer-encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                var data = rest.GetBuffer().AsSpan(0, (int)rest.Length);
                var lineEnd = IndexOf(data, "\r\n"u8);
                if (lineEnd >= 0)
                {
                    var size = int.Parse(Encoding.ASCII.GetString(data[..lineEnd]).Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                    if (size == 0)
                    {
                        return (path, headers, Encoding.UTF8.GetString(body.ToArray()));
                    }

                    if (data.Length >= lineEnd + 2 + size + 2)
                    {
                        body.Write(data.Slice(lineEnd + 2, size));
                        var remaining = data[(lineEnd + 2 + size + 2)..].ToArray();
                        rest = new MemoryStream();
                        rest.Write(remaining);
                        continue;
                    }
                }

                var read = await stream.ReadAsync(chunk, cancellationToken);
                if (read == 0)
                {
                    throw new IOException("The request body ended early.");
                }

                rest.Write(chunk, 0, read);
            }
        }

        return (path, headers, "{}");
    }

    private static int IndexOf(ReadOnlySpan<byte> data, ReadOnlySpan<byte> value) => data.IndexOf(value);

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };

    /// <summary>A response body in HTTP/1.1 chunked framing: every write is one chunk.</summary>
    private sealed class ChunkedBodyStream(Stream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                return; // an empty chunk would end the body
            }

            await inner.WriteAsync(Encoding.ASCII.GetBytes(buffer.Length.ToString("x", CultureInfo.InvariantCulture) + "\r\n"), cancellationToken);
            await inner.WriteAsync(buffer, cancellationToken);
            await inner.WriteAsync("\r\n"u8.ToArray(), cancellationToken);
        }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
