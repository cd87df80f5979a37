using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Plansmith.Testing;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// The timing and the books of the scenarios' loopback model, the same for every strategy: it
/// counts each request's o200k tokens (prompt = every message plus the tool definitions, completion
/// = the reply), holds the reply back for as long as the <see cref="LatencyModel"/> says, and to a
/// streaming request sends the reply token by token at the decode rate. Delays run at
/// <c>timeScale</c> × their length; they are measured from the request's arrival, so counting
/// tokens costs no extra time.
/// </summary>
internal sealed class SimulatedModel(LatencyModel latency, double timeScale)
{
    private static readonly Tokenizer Tokens = TiktokenTokenizer.CreateForModel("gpt-4o");

    private readonly ConcurrentQueue<Call> _calls = new();

    /// <summary>One answered request, with its o200k token counts.</summary>
    public sealed record Call(string Prompt, int InputTokens, int OutputTokens);

    public IReadOnlyList<Call> Calls => [.. _calls];

    public int CallCount => _calls.Count;

    public long InputTokens => _calls.Sum(c => (long)c.InputTokens);

    public long OutputTokens => _calls.Sum(c => (long)c.OutputTokens);

    public static int CountTokens(string text) => Tokens.CountTokens(text);

    /// <summary>
    /// For each character offset, the tokens of <paramref name="text"/> a reader must have received
    /// to hold <c>text[..end]</c>: those that start before it.
    /// </summary>
    public static int[] TokensThrough(string text, IEnumerable<int> ends)
    {
        var starts = Tokens.EncodeToTokens(text, out _).Select(t => t.Offset.Start.Value).ToArray();
        return [.. ends.Select(end => starts.Count(s => s < end))];
    }

    /// <summary>Answers with <paramref name="text"/>, or with calls of <c>work-run</c> for these task ids, once the model would have.</summary>
    public async Task<ModelReply> ReplyAsync(ModelRequest request, string? text, IReadOnlyList<string>? taskCalls)
    {
        var arrived = Stopwatch.GetTimestamp();
        var prompt = new StringBuilder();
        foreach (var message in request.Json["messages"]!.AsArray())
        {
            prompt.Append(message!.ToJsonString()).Append('\n');
        }

        if (request.Json["tools"] is { } tools)
        {
            prompt.Append(tools.ToJsonString());
        }

        var toolCalls = taskCalls?.Select(c => new ToolCallReply("work-run", JsonSerializer.Serialize(new { task = c }))).ToList();
        var completion = text ?? string.Join("\n", toolCalls!.Select(c => c.Name + c.Arguments));
        var input = Tokens.CountTokens(prompt.ToString());
        var output = Tokens.CountTokens(completion);
        _calls.Enqueue(new Call(request.Prompt, input, output));
        if (request.Stream && text is { Length: > 0 })
        {
            // Streamed: nothing until the first token, then one token at a time at the decode rate.
            var (pieces, tokensThrough) = Split(text);
            var first = latency.BeforeFirstToken(input);
            await DelayUntilAsync(arrived, first);
            return new ModelReply(text, null, input, output)
            {
                Chunks = pieces,
                BeforeChunk = i => DelayUntilAsync(arrived, first + latency.Decode(tokensThrough[i])),
            };
        }

        // Not streamed (tool calls are never streamed here: the baselines do not stream): the whole reply at once, when its last token is written.
        await DelayUntilAsync(arrived, latency.Call(input, output));
        return new ModelReply(text, toolCalls, input, output);
    }

    /// <summary>The reply in pieces of whole tokens (a token that ends inside a character joins the next piece), with the tokens written by the end of each piece.</summary>
    private static (List<string> Pieces, List<int> TokensThrough) Split(string text)
    {
        var pieces = new List<string>();
        var through = new List<int>();
        var start = 0;
        var count = 0;
        foreach (var token in Tokens.EncodeToTokens(text, out _))
        {
            count++;
            var end = Math.Min(text.Length, token.Offset.End.Value);
            if (end > start)
            {
                pieces.Add(text[start..end]);
                through.Add(count);
                start = end;
            }
        }

        if (start < text.Length)
        {
            pieces.Add(text[start..]);
            through.Add(count);
        }

        return (pieces, through);
    }

    private Task DelayUntilAsync(long since, TimeSpan due)
    {
        var wait = due * timeScale - Stopwatch.GetElapsedTime(since);
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }
}
