using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The usage-metering layer: adds each call's tokens (from the reply's usage) to the run, and to
/// the <see cref="UsageScope"/> of the step measuring it, if any. Tokens of a streamed reply count
/// even when the stream breaks off.
/// </summary>
internal sealed class MeteringChatCompletionService : DelegatingChatCompletionService
{
    private readonly RunMeter _meter;

    public MeteringChatCompletionService(IChatCompletionService inner, RunMeter meter)
        : base(inner)
    {
        _meter = meter;
    }

    public override async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        var scope = UsageScope.Current;
        var replies = await base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false);
        var (input, output) = replies.Count == 0 ? (0L, 0L) : TokenUsage.Read(replies[^1].Metadata);
        Add(scope, input, output);
        return replies;
    }

    public override async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var scope = UsageScope.Current;
        long input = 0, output = 0;
        try
        {
            await foreach (var chunk in base.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false))
            {
                var (i, o) = TokenUsage.Read(chunk.Metadata);
                input = Math.Max(input, i);
                output = Math.Max(output, o);
                yield return chunk;
            }
        }
        finally
        {
            Add(scope, input, output);
        }
    }

    private void Add(UsageScope? scope, long input, long output)
    {
        _meter.AddTokens(input, output);
        scope?.Add(new TokenUsage(1, input, output));
    }
}
