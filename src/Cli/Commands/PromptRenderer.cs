using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Planning;

namespace Plansmith.Cli.Commands;

/// <summary>
/// Renders a prompt exactly as Semantic Kernel sends it: the prompt function is invoked on a kernel
/// whose only chat service records the chat history it is given and answers nothing, so the
/// messages are SK's own parse of the rendered template, entities decoded and inputs encoded.
/// </summary>
internal static class PromptRenderer
{
    /// <summary>The inputs a render needs but was not given: required, with no default in config.json.</summary>
    public static List<string> MissingRequired(KernelFunction function, IReadOnlyDictionary<string, string> inputs) =>
        [.. function.Metadata.Parameters
            .Where(p => p.IsRequired && p.DefaultValue is null && !inputs.ContainsKey(p.Name))
            .Select(p => p.Name)];

    /// <summary>The chat messages the prompt sends with these inputs; inputs not given take their default, or empty.</summary>
    public static async Task<IReadOnlyList<(string Role, string Content)>> RenderAsync(PromptLibrary library, string name, IReadOnlyDictionary<string, string> inputs, CancellationToken cancellationToken = default)
    {
        var function = library.Get(name);
        var arguments = new KernelArguments();
        foreach (var parameter in function.Metadata.Parameters)
        {
            arguments[parameter.Name] = inputs.TryGetValue(parameter.Name, out var value) ? value : parameter.DefaultValue?.ToString() ?? string.Empty;
        }

        var capture = new CapturingChatService();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatCompletionService>(capture);
        await function.InvokeAsync(builder.Build(), arguments, cancellationToken);
        return [.. (capture.History ?? []).Select(m => (m.Role.Label, m.Content ?? string.Empty))];
    }

    /// <summary>A chat service that keeps the history it is sent and replies with nothing.</summary>
    private sealed class CapturingChatService : IChatCompletionService
    {
        public ChatHistory? History { get; private set; }

        public IReadOnlyDictionary<string, object?> Attributes { get; } = new Dictionary<string, object?>();

        public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
        {
            History = [.. chatHistory];
            return Task.FromResult<IReadOnlyList<ChatMessageContent>>([new ChatMessageContent(AuthorRole.Assistant, string.Empty)]);
        }

        public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            History = [.. chatHistory];
            await Task.CompletedTask;
            yield break;
        }
    }
}
