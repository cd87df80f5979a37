using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The budget layer: every call must fit the run's budget (model calls, tokens, time) before it is
/// sent, or it fails with <see cref="BudgetExceededException"/>. Calls made inside
/// <see cref="Exempt"/> (the answer's: a run stopped by its budget still answers) go through a
/// spent budget, and still count.
/// </summary>
internal sealed class BudgetChatCompletionService : DelegatingChatCompletionService
{
    private static readonly AsyncLocal<bool> Exempted = new();
    private readonly RunMeter _meter;

    public BudgetChatCompletionService(IChatCompletionService inner, RunMeter meter)
        : base(inner)
    {
        _meter = meter;
    }

    /// <summary>Lets the calls made on this async flow through a spent budget until disposed.</summary>
    public static IDisposable Exempt()
    {
        var previous = Exempted.Value;
        Exempted.Value = true;
        return new Restore(previous);
    }

    public override Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
    {
        _meter.BeginCall(Exempted.Value);
        return base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);
    }

    public override async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _meter.BeginCall(Exempted.Value);
        await foreach (var chunk in base.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken).ConfigureAwait(false))
        {
            yield return chunk;
        }
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => Exempted.Value = previous;
    }
}
