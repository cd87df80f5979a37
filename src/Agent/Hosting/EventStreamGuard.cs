using System.Text;
using System.Text.Json;
using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Reads a server-sent event stream (a streamed chat completion) for the connector and refuses
/// to let an unfinished one pass as finished: the body must end with <c>data: [DONE]</c> before the
/// deadline, and an error event fails the read. Without it a stream cut mid-answer, or one that
/// trickles forever, reaches the caller as a short answer or not at all.
/// </summary>
internal sealed class EventStreamGuard : Stream
{
    /// <summary>Longest line kept for inspection; longer ones (big content chunks) are passed on unread.</summary>
    private const int MaxInspectedLine = 4_096;

    private readonly Stream _inner;
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenRegistration _abort;
    private readonly ModelResponseFault _deadlineFault;
    private readonly TimeSpan _limit;
    private readonly byte[] _line = new byte[MaxInspectedLine];
    private int _lineLength;
    private bool _lineOverflow;
    private bool _errorEventNext;
    private bool _sawDone;
    private ModelResponseException? _failure;

    /// <param name="inner">The response body.</param>
    /// <param name="remaining">Time left for the whole body.</param>
    /// <param name="deadlineFault">Which limit <paramref name="remaining"/> comes from.</param>
    /// <param name="limit">That limit's configured value, for the message.</param>
    /// <param name="timeProvider">The clock.</param>
    public EventStreamGuard(Stream inner, TimeSpan remaining, ModelResponseFault deadlineFault, TimeSpan limit, TimeProvider timeProvider)
    {
        _inner = inner;
        _deadlineFault = deadlineFault;
        _limit = limit;
        _deadline = new CancellationTokenSource(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, timeProvider);

        // Closing the body is what stops a read that does not watch its token (a synchronous one).
        _abort = _deadline.Token.Register(static s => ((Stream)s!).Dispose(), inner);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ThrowIfFailed();
        int read;
        try
        {
            read = _inner.Read(buffer);
        }
        catch (Exception ex) when (ex is not ModelResponseException)
        {
            throw Translate(ex, CancellationToken.None);
        }

        return Inspect(buffer[..read]);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        int read;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _deadline.Token))
        {
            try
            {
                read = await _inner.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not ModelResponseException)
            {
                throw Translate(ex, cancellationToken);
            }
        }

        return Inspect(buffer.Span[..read]);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _abort.Dispose();
            _deadline.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_deadline.IsCancellationRequested)
        {
            throw Fail(Expired(null));
        }
    }

    private Exception Translate(Exception ex, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            // The caller gave up: that is cancellation, not a fault of the stream.
            return ex;
        }

        if (_deadline.IsCancellationRequested)
        {
            return Fail(Expired(ex));
        }

        return ex is IOException or ObjectDisposedException
            ? Fail(new ModelResponseException(ModelResponseFault.Cut, $"The model's answer stream was cut off before it ended ({ex.Message}).", ex))
            : ex;
    }

    private ModelResponseException Expired(Exception? inner)
    {
        var which = _deadlineFault == ModelResponseFault.TotalTimeout ? "total timeout" : "per-attempt timeout";
        var setting = _deadlineFault == ModelResponseFault.TotalTimeout ? "TotalTimeout" : "AttemptTimeout";
        return new ModelResponseException(
            _deadlineFault,
            $"The model's answer stream did not finish within the {which} ({_limit}); it was abandoned. Raise Plansmith:ModelResilience:{setting} for a model that is slow but alive.",
            inner);
    }

    private ModelResponseException Fail(ModelResponseException failure)
    {
        _failure ??= failure;
        return _failure;
    }

    private int Inspect(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            if (!_sawDone)
            {
                throw Fail(new ModelResponseException(
                    ModelResponseFault.Unterminated,
                    "The model's answer stream ended without its end marker (data: [DONE]): the server stopped or the connection closed mid-answer."));
            }

            return 0;
        }

        foreach (var b in data)
        {
            if (b == (byte)'\n')
            {
                EndLine();
            }
            else if (_lineLength < _line.Length)
            {
                _line[_lineLength++] = b;
            }
            else
            {
                _lineOverflow = true;
            }
        }

        return data.Length;
    }

    private void EndLine()
    {
        var line = _line.AsSpan(0, _lineLength).TrimEnd((byte)'\r');
        var overflow = _lineOverflow;
        _lineLength = 0;
        _lineOverflow = false;
        if (overflow || _sawDone)
        {
            return;
        }

        if (line.SequenceEqual("event: error"u8) || line.SequenceEqual("event:error"u8))
        {
            _errorEventNext = true;
            return;
        }

        if (!line.StartsWith("data:"u8))
        {
            return;
        }

        var payload = line["data:"u8.Length..].Trim((byte)' ');
        if (payload.SequenceEqual("[DONE]"u8))
        {
            _sawDone = true;
            return;
        }

        var isError = _errorEventNext;
        _errorEventNext = false;
        if (!isError && !(payload.Length > 0 && payload[0] == (byte)'{' && payload.IndexOf("\"error\""u8) >= 0))
        {
            return;
        }

        if (ErrorMessage(payload, isError) is { } message)
        {
            throw Fail(new ModelResponseException(ModelResponseFault.ErrorEvent, $"The model endpoint sent an error in the middle of its answer stream: {message}"));
        }
    }

    /// <summary>The message of an error event, or null when the line is an ordinary chunk.</summary>
    internal static string? ErrorMessage(ReadOnlySpan<byte> payload, bool flaggedByEvent)
    {
        try
        {
            var reader = new Utf8JsonReader(payload);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("error", out var error))
            {
                return flaggedByEvent ? Printable(root.GetRawText()) : null;
            }

            if (root.TryGetProperty("choices", out _) && !flaggedByEvent)
            {
                return null;
            }

            var text = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String
                ? m.GetString()
                : error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText();
            return Printable(text ?? "no message");
        }
        catch (JsonException)
        {
            return flaggedByEvent ? Printable(Encoding.UTF8.GetString(payload)) : null;
        }
    }

    /// <summary>The server's text, short and without control characters, fit for a terminal and a log.</summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, 300));
        foreach (var c in text)
        {
            if (builder.Length == 300)
            {
                builder.Append('…');
                break;
            }

            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }
}
