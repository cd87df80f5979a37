using System.Text;
using System.Text.Json;

namespace Plansmith.Testing;

/// <summary>
/// A response exactly as <see cref="HostileOpenAIServer"/> writes it: status, headers and body
/// pieces, each piece after <see cref="PieceDelay"/>, and how the body ends — whole, cut (the
/// connection closes mid-body), or never (the pieces repeat until the client gives up).
/// </summary>
public sealed record WireReply
{
    public int Status { get; init; } = 200;

    public string ContentType { get; init; } = "application/json";

    public IReadOnlyList<byte[]> Pieces { get; init; } = [];

    /// <summary>The wait before each piece (the server trickles the body).</summary>
    public TimeSpan PieceDelay { get; init; }

    /// <summary>Close the connection before the body's end (no final chunk).</summary>
    public bool Cut { get; init; }

    /// <summary>Send the pieces over and over, never ending the body.</summary>
    public bool Endless { get; init; }

    public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// Writes the body instead of <see cref="Pieces"/>: each write goes out as one chunk, each flush
    /// reaches the client (a scripted model's paced stream).
    /// </summary>
    public Func<Stream, CancellationToken, Task>? WriteBodyAsync { get; init; }

    /// <summary>A scripted model's answer, as it gives it: whole, or written piece by piece.</summary>
    public static WireReply From(ModelAnswer answer) => new()
    {
        Status = answer.Drop ? 0 : answer.Status,
        ContentType = answer.ContentType,
        Pieces = [answer.Body],
        Cut = answer.Drop,
        RetryAfterSeconds = answer.RetryAfterSeconds,
        WriteBodyAsync = answer.WriteBodyAsync,
    };

    /// <summary>An event stream of these pieces (each a whole <c>data: …</c> event or any text).</summary>
    public static WireReply Stream(params string[] pieces) => new()
    {
        ContentType = "text/event-stream",
        Pieces = [.. pieces.Select(Encoding.UTF8.GetBytes)],
    };

    /// <summary>A body of this text with this content type.</summary>
    public static WireReply Text(string body, string contentType = "application/json", int status = 200) => new()
    {
        Status = status,
        ContentType = contentType,
        Pieces = [Encoding.UTF8.GetBytes(body)],
    };
}

/// <summary>Pieces of an OpenAI chat completion, streamed and whole, for writing hostile replies.</summary>
public static class OpenAIWire
{
    /// <summary>The end marker of a stream.</summary>
    public const string Done = "data: [DONE]\n\n";

    /// <summary>A content chunk.</summary>
    public static string Chunk(string content) => Event(new { index = 0, delta = new { role = "assistant", content }, finish_reason = (string?)null });

    /// <summary>The chunk that says why the model stopped.</summary>
    public static string Finish(string reason = "stop") => Event(new { index = 0, delta = new { }, finish_reason = reason });

    /// <summary>The usage chunk (no choices).</summary>
    public static string Usage() =>
        "data: " + JsonSerializer.Serialize(new { id = "chatcmpl-wire", @object = "chat.completion.chunk", created = 1_700_000_000, model = "wire", choices = Array.Empty<object>(), usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 } }) + "\n\n";

    /// <summary>A whole, well-ended stream of this text.</summary>
    public static string[] Whole(string text, string finish = "stop") =>
        [.. Split(text).Select(Chunk), Finish(finish), Usage(), Done];

    /// <summary>The text in pieces of a few characters, as models stream.</summary>
    public static IEnumerable<string> Split(string text)
    {
        for (var i = 0; i < text.Length; i += 4)
        {
            yield return text.Substring(i, Math.Min(4, text.Length - i));
        }
    }

    /// <summary>A whole non-streamed completion.</summary>
    public static string Completion(string? content, string finish = "stop") => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-wire",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "wire",
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = finish } },
        usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
    });

    private static string Event(object choice) =>
        "data: " + JsonSerializer.Serialize(new { id = "chatcmpl-wire", @object = "chat.completion.chunk", created = 1_700_000_000, model = "wire", choices = new[] { choice } }) + "\n\n";
}
