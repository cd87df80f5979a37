using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>The telemetry layer: a client span per model call, named <c>chat {prompt}</c>, with its token usage (GenAI conventions).</summary>
internal sealed class TelemetryChatCompletionService : DelegatingChatCompletionService
{
    public TelemetryChatCompletionService(IChatCompletionService inner)
        : base(inner)
    {
    }

    public override async Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("chat", PromptName, ActivityKind.Client);
        try
        {
            var replies = await base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false);
            var (input, output) = replies.Count == 0 ? (0L, 0L) : TokenUsage.Read(replies[^1].Metadata);
            PlansmithTelemetry.SetUsage(span, new TokenUsage(1, input, output));
            return replies;
        }
        catch (Exception ex)
        {
            PlansmithTelemetry.Fail(span, ex.GetType().Name);
            throw;
        }
    }

    public override async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("chat", PromptName, ActivityKind.Client);
        long input = 0, output = 0;
        var enumerator = base.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                StreamingChatMessageContent chunk;
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = enumerator.Current;
                }
                catch (Exception ex)
                {
                    PlansmithTelemetry.Fail(span, ex.GetType().Name);
                    throw;
                }

                var (i, o) = TokenUsage.Read(chunk.Metadata);
                input = Math.Max(input, i);
                output = Math.Max(output, o);
                yield return chunk;
            }
        }
        finally
        {
            PlansmithTelemetry.SetUsage(span, new TokenUsage(1, input, output));
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }
}
