using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Plansmith.Testing;

/// <summary>One chat completion request as the server received it.</summary>
public sealed class ModelRequest
{
    /// <summary>The header Plansmith names the prompt in (Plansmith.Agent's <c>PromptCall.HeaderName</c>).</summary>
    public const string PromptHeader = "X-Plansmith-Prompt";

    /// <param name="body">The request body.</param>
    /// <param name="path">The request path.</param>
    /// <param name="authorization">The Authorization header.</param>
    /// <param name="prompt">The <see cref="PromptHeader"/> header: the name of the prompt the request comes from.</param>
    public ModelRequest(string body, string path, string? authorization, string? prompt = null)
    {
        Body = body;
        Path = path;
        Authorization = authorization;
        Json = JsonNode.Parse(body)!.AsObject();
        Messages = [.. Json["messages"]!.AsArray().Select(m => new ModelMessage(
            m!["role"]!.GetValue<string>(),
            m["content"] switch
            {
                null => string.Empty,
                JsonValue v => v.GetValue<string>(),
                JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? string.Empty)),
                _ => string.Empty,
            },
            m["tool_call_id"]?.GetValue<string>()))];
        Tools = Json["tools"] is JsonArray tools ? [.. tools.Select(t => t!["function"]!["name"]!.GetValue<string>())] : [];
        Prompt = string.IsNullOrEmpty(prompt) ? "unknown" : prompt;
    }

    public string Body { get; }

    public string Path { get; }

    public string? Authorization { get; }

    public JsonObject Json { get; }

    public IReadOnlyList<ModelMessage> Messages { get; }

    /// <summary>Tool names offered on the wire (<c>plugin-function</c>).</summary>
    public IReadOnlyList<string> Tools { get; }

    /// <summary>
    /// Which Plansmith prompt sent this request, by its name as the <see cref="PromptHeader"/> header
    /// carries it (never from its wording); "unknown" for a request without one.
    /// </summary>
    public string Prompt { get; }

    public bool Stream => Json["stream"]?.GetValue<bool>() == true;

    public string? ResponseFormat => Json["response_format"]?["type"]?.GetValue<string>();

    public string User => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? string.Empty;

    public string System => Messages.FirstOrDefault(m => m.Role == "system")?.Content ?? string.Empty;

    /// <summary>Tool results sent back to the model in this request.</summary>
    public IReadOnlyList<ModelMessage> ToolResults => [.. Messages.Where(m => m.Role == "tool")];

}

public sealed record ModelMessage(string Role, string Content, string? ToolCallId);

/// <summary>A response as it goes on the wire.</summary>
public sealed record ModelAnswer(int Status, string ContentType, byte[] Body, int? RetryAfterSeconds)
{
    /// <summary>Close the connection without answering.</summary>
    public bool Drop { get; init; }

    /// <summary>
    /// Writes the body piece by piece, flushing each, instead of <see cref="Body"/>: a stream whose
    /// pieces reach the client at the pace the script sets.
    /// </summary>
    public Func<Stream, CancellationToken, Task>? WriteBodyAsync { get; init; }
}

/// <summary>A tool call the scripted model makes; <paramref name="Name"/> as on the wire (<c>plugin-function</c>).</summary>
public sealed record ToolCallReply(string Name, string Arguments);

/// <summary>What the scripted model answers.</summary>
/// <summary>What the scripted model answers; <paramref name="Status"/> sends an error instead, with <paramref name="RetryAfterSeconds"/> as a <c>Retry-After</c> header.</summary>
public sealed record ModelReply(string? Text = null, IReadOnlyList<ToolCallReply>? ToolCalls = null, int InputTokens = 100, int OutputTokens = 20, int? Status = null, int? RetryAfterSeconds = null)
{
    /// <summary>A 200 response whose body is these bytes as they are (a malformed body, say).</summary>
    public string? RawBody { get; init; }

    /// <summary>Close the connection without answering.</summary>
    public bool Drop { get; init; }

    /// <summary>To a streaming request: the text in exactly these pieces, each sent (and flushed) on its own.</summary>
    public IReadOnlyList<string>? Chunks { get; init; }

    /// <summary>Awaited before piece <c>i</c> of <see cref="Chunks"/> is sent: a script holds a piece back until a test has seen the ones before.</summary>
    public Func<int, Task>? BeforeChunk { get; init; }

    public static ModelReply Json(object value, int inputTokens = 100, int outputTokens = 20) =>
        new(JsonSerializer.Serialize(value), InputTokens: inputTokens, OutputTokens: outputTokens);

    public static ModelReply Call(string name, object arguments) =>
        new(ToolCalls: [new ToolCallReply(name, JsonSerializer.Serialize(arguments))]);
}

/// <summary>
/// A chat model driven by a script: a function from the request to the reply. It records every
/// request. Replies go out in OpenAI's wire format, so SK's real OpenAI connector talks to it.
/// </summary>
public sealed class ScriptedModel
{
    private readonly Func<ModelRequest, Task<ModelReply>> _script;
    private readonly Func<ToolCallReply, string> _toolCallIds;
    private readonly ConcurrentQueue<ModelRequest> _requests = new();

    public ScriptedModel(Func<ModelRequest, ModelReply> script)
    {
        _script = request => Task.FromResult(script(request));
        _toolCallIds = _ => $"call_{Guid.NewGuid():N}";
    }

    /// <param name="script">The reply to each request.</param>
    /// <param name="toolCallIds">The id of each tool call the model makes; random when null.</param>
    public ScriptedModel(Func<ModelRequest, Task<ModelReply>> script, Func<ToolCallReply, string>? toolCallIds = null)
    {
        _script = script;
        _toolCallIds = toolCallIds ?? (_ => $"call_{Guid.NewGuid():N}");
    }

    public IReadOnlyList<ModelRequest> Requests => [.. _requests];

    public IReadOnlyList<ModelRequest> RequestsFor(string prompt) => [.. _requests.Where(r => r.Prompt == prompt)];

    /// <summary>Answers one request: the status code, the content type and the body.</summary>
    public async Task<ModelAnswer> AnswerAsync(ModelRequest request)
    {
        _requests.Enqueue(request);
        var reply = await _script(request);
        if (reply.Drop)
        {
            return new ModelAnswer(0, "application/json", [], null) { Drop = true };
        }

        if (reply.RawBody is { } raw)
        {
            return new ModelAnswer(200, "application/json", System.Text.Encoding.UTF8.GetBytes(raw), null);
        }

        if (reply.Status is { } status)
        {
            return new ModelAnswer(status, "application/json", JsonSerializer.SerializeToUtf8Bytes(new { error = new { message = reply.Text ?? "scripted error", type = "server_error" } }), reply.RetryAfterSeconds);
        }

        if (request.Stream && reply.Chunks is { } pieces)
        {
            return new ModelAnswer(200, "text/event-stream", [], null) { WriteBodyAsync = (stream, cancellationToken) => WritePiecesAsync(stream, reply, pieces, cancellationToken) };
        }

        return request.Stream
            ? new ModelAnswer(200, "text/event-stream", StreamBody(reply), null)
            : new ModelAnswer(200, "application/json", JsonSerializer.SerializeToUtf8Bytes(Completion(reply)), null);
    }

    private static object Usage(ModelReply reply) =>
        new { prompt_tokens = reply.InputTokens, completion_tokens = reply.OutputTokens, total_tokens = reply.InputTokens + reply.OutputTokens };

    private object? ToolCalls(ModelReply reply) =>
        reply.ToolCalls?.Select(c => new { id = _toolCallIds(c), type = "function", function = new { name = c.Name, arguments = c.Arguments } }).ToArray();

    private object Completion(ModelReply reply) => new
    {
        id = "chatcmpl-scripted",
        @object = "chat.completion",
        created = 1_700_000_000,
        model = "scripted-model",
        choices = new[]
        {
            new
            {
                index = 0,
                message = new { role = "assistant", content = reply.Text, tool_calls = ToolCalls(reply) },
                finish_reason = reply.ToolCalls is { Count: > 0 } ? "tool_calls" : "stop",
            },
        },
        usage = Usage(reply),
    };

    private static byte[] StreamBody(ModelReply reply)
    {
        var text = reply.Text ?? string.Empty;
        var chunks = new List<object>();
        // Several pieces, as a real model streams.
        for (var i = 0; i < text.Length; i += 16)
        {
            chunks.Add(Chunk(new { role = i == 0 ? "assistant" : null, content = text.Substring(i, Math.Min(16, text.Length - i)) }, null));
        }

        chunks.Add(Chunk(new { role = (string?)null, content = (string?)null }, "stop"));
        var body = new System.Text.StringBuilder();
        foreach (var chunk in chunks)
        {
            body.Append("data: ").Append(JsonSerializer.Serialize(chunk)).Append("\n\n");
        }

        body.Append("data: ").Append(JsonSerializer.Serialize(new { id = "chatcmpl-scripted", @object = "chat.completion.chunk", created = 1_700_000_000, model = "scripted-model", choices = Array.Empty<object>(), usage = Usage(reply) })).Append("\n\n");
        body.Append("data: [DONE]\n\n");
        return System.Text.Encoding.UTF8.GetBytes(body.ToString());
    }

    private static async Task WritePiecesAsync(Stream stream, ModelReply reply, IReadOnlyList<string> pieces, CancellationToken cancellationToken)
    {
        async Task SendAsync(object data)
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes("data: " + JsonSerializer.Serialize(data) + "\n\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        for (var i = 0; i < pieces.Count; i++)
        {
            if (reply.BeforeChunk is { } gate)
            {
                await gate(i);
            }

            await SendAsync(Chunk(new { role = i == 0 ? "assistant" : null, content = pieces[i] }, null));
        }

        await SendAsync(Chunk(new { role = (string?)null, content = (string?)null }, "stop"));
        await SendAsync(new { id = "chatcmpl-scripted", @object = "chat.completion.chunk", created = 1_700_000_000, model = "scripted-model", choices = Array.Empty<object>(), usage = Usage(reply) });
        await stream.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static object Chunk(object delta, string? finish) => new
    {
        id = "chatcmpl-scripted",
        @object = "chat.completion.chunk",
        created = 1_700_000_000,
        model = "scripted-model",
        choices = new[] { new { index = 0, delta, finish_reason = finish } },
    };
}
