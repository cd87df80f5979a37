using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Plansmith.Sandbox;

/// <summary>
/// Writes the worker's protocol: one JSON object per line, flushed at once so the host keeps what
/// was printed even if this process dies a moment later. Stops writing a stream at its limit.
/// </summary>
internal sealed class FrameWriter : IDisposable
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Stream _stream;
    private readonly int _limit;
    private readonly Lock _lock = new();
    private int _stdout;
    private int _stderr;

    public FrameWriter(Stream stream, int limit)
    {
        _stream = stream;
        _limit = limit;
    }

    public bool StdoutTruncated { get; private set; }

    public bool StderrTruncated { get; private set; }

    public int StdoutChars => _stdout;

    public void Write(bool error, string text)
    {
        lock (_lock)
        {
            ref var used = ref error ? ref _stderr : ref _stdout;
            var room = _limit - used;
            if (text.Length > room)
            {
                text = text[..Math.Max(0, room)];
                if (error)
                {
                    StderrTruncated = true;
                }
                else
                {
                    StdoutTruncated = true;
                }
            }

            if (text.Length == 0)
            {
                return;
            }

            used += text.Length;
            WriteFrame(w => w.WriteString(error ? "e" : "o", Clean(text)));
        }
    }

    public void Finish(int exitCode, string? limit, string? message)
    {
        lock (_lock)
        {
            WriteFrame(w =>
            {
                w.WriteNumber("x", exitCode);
                w.WriteString("limit", limit);
                w.WriteString("message", Clean(message ?? string.Empty));
                w.WriteBoolean("cutOut", StdoutTruncated);
                w.WriteBoolean("cutErr", StderrTruncated);
            });
        }
    }

    public void Dispose() => _stream.Dispose();

    private void WriteFrame(Action<Utf8JsonWriter> body)
    {
        using (var writer = new Utf8JsonWriter(_stream, Options))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        _stream.WriteByte((byte)'\n');
        _stream.Flush();
    }

    /// <summary>JSON cannot carry a lone surrogate, which a script can make: it becomes U+FFFD.</summary>
    internal static string Clean(string text)
    {
        var span = text.AsSpan();
        var bad = false;
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                bad = true;
                break;
            }
        }

        if (!bad)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                builder.Append(span[i]).Append(span[i + 1]);
                i++;
            }
            else
            {
                builder.Append(char.IsSurrogate(span[i]) ? '\uFFFD' : span[i]);
            }
        }

        return builder.ToString();
    }
}
