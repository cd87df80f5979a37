using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Planning;

/// <summary>
/// A layer of a run's model pipeline: passes every call to the service inside it. Derive from it
/// to add one concern (a budget, metering, telemetry, logging) around every model call of a run,
/// and add it with <see cref="ModelPipelineBuilder.Use"/>.
/// </summary>
public abstract class DelegatingChatCompletionService : IChatCompletionService
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    protected DelegatingChatCompletionService(IChatCompletionService inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The service inside this layer: the next layer, or the host's chat service.</summary>
    protected IChatCompletionService Inner { get; }

    /// <inheritdoc />
    public virtual IReadOnlyDictionary<string, object?> Attributes => Inner.Attributes;

    /// <inheritdoc />
    public virtual Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null,
        CancellationToken cancellationToken = default) =>
        Inner.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(
        ChatHistory chatHistory,
        PromptExecutionSettings? executionSettings = null,
        Kernel? kernel = null,
        CancellationToken cancellationToken = default) =>
        Inner.GetStreamingChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);

    /// <summary>The prompt the current call comes from (by name), or "chat" for a call from outside the prompt library.</summary>
    protected static string PromptName => PromptCall.Current?.Name ?? "chat";
}
