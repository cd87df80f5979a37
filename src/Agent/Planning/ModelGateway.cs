using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Invokes the run's prompts: the prompt function with its configured execution settings (plus any
/// overrides), through the run's kernel, whose chat service is the run's model pipeline (budget,
/// metering, telemetry, logging: see <see cref="ModelPipelineBuilder"/>). It turns whatever the
/// connector throws into a <see cref="ModelCallException"/> naming the prompt, and refuses an
/// answer that is not whole (truncated at the token limit, withheld by a content filter, or a
/// stream that did not finish) with one whose <see cref="ModelCallException.IsIncomplete"/> is set.
/// </summary>
internal sealed class ModelGateway
{
    /// <summary>The metadata key under which SK's OpenAI connector reports why the model stopped.</summary>
    private const string FinishReasonKey = "FinishReason";

    private readonly Kernel _kernel;
    private readonly PromptLibrary _prompts;

    public ModelGateway(Kernel kernel, PromptLibrary prompts, RunMeter meter)
    {
        _kernel = kernel;
        _prompts = prompts;
        Meter = meter;
    }

    public RunMeter Meter { get; }

    public PromptLibrary Prompts => _prompts;

    /// <summary>Invokes a prompt and returns the model's text.</summary>
    /// <param name="inputs">The prompt's inputs; they name the prompt.</param>
    /// <param name="kernel">The kernel to call through (e.g. a clone with fewer plugins); the run's kernel when null.</param>
    /// <param name="configure">Changes to the prompt's execution settings for this call.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<FunctionResult> InvokeAsync(
        PromptInputs inputs,
        Kernel? kernel = null,
        Action<PromptExecutionSettings>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var prompt = inputs.Prompt;
        var function = _prompts.Get(prompt);
        FunctionResult result;
        try
        {
            result = await _prompts.InvokeAsync(kernel ?? _kernel, inputs, Arguments(function, inputs, configure), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or BudgetExceededException or ModelCallException))
        {
            // Whatever the connector throws — HTTP errors, a body that is not JSON, a dropped
            // connection — becomes one typed failure naming the prompt.
            throw new ModelCallException(prompt, ex);
        }

        if (FinishProblem(FinishReason(result.Metadata)) is { } problem)
        {
            // A truncated or withheld answer must not become a step's output or a plan.
            throw new ModelCallException(prompt, problem);
        }

        return result;
    }

    /// <summary>
    /// Invokes a prompt and streams the model's text as it comes. The enumeration ends normally only
    /// for a whole answer: a stream that fails, ends without a finish reason (when the provider
    /// reports them, as OpenAI's does), or finishes for a reason other than a natural end throws a
    /// <see cref="ModelCallException"/> after the pieces that did arrive — the caller must discard them.
    /// </summary>
    /// <exception cref="ModelCallException">The call failed or the answer is not whole.</exception>
    public async IAsyncEnumerable<string> InvokeStreamingAsync(
        PromptInputs inputs,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prompt = inputs.Prompt;
        var call = new PromptCall(prompt, inputs);
        var function = _prompts.Get(prompt);
        var reportsFinish = false;
        string? finish = null;
        var pieces = 0;
        var chunks = function.InvokeStreamingAsync<StreamingChatMessageContent>(_kernel, Arguments(function, inputs, null), cancellationToken);
        var enumerator = chunks.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                StreamingChatMessageContent chunk;
                try
                {
                    // The call is made current for each step of the stream: an async iterator does not
                    // keep it between steps, and the request goes out during the first.
                    ValueTask<bool> next;
                    using (PromptCall.Begin(call))
                    {
                        next = enumerator.MoveNextAsync();
                    }

                    if (!await next.ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = enumerator.Current;
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or BudgetExceededException or ModelCallException))
                {
                    // Connector faults while streaming (an error status, a body that is not an event
                    // stream, a cut or stalled stream) become the same typed failure as InvokeAsync's.
                    throw new ModelCallException(prompt, ex);
                }

                if (chunk.Metadata is { } metadata && metadata.ContainsKey(FinishReasonKey))
                {
                    reportsFinish = true;
                    finish = FinishReason(metadata) ?? finish;
                }

                if (!string.IsNullOrEmpty(chunk.Content))
                {
                    pieces++;
                    yield return chunk.Content;
                }
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }

        var problem = pieces == 0
            ? "the answer stream carried no text. Check that the endpoint streams OpenAI chat completion chunks."
            : reportsFinish && finish is null
                ? "the answer stream ended without a finish reason: the answer was cut off."
                : FinishProblem(finish);
        if (problem is not null)
        {
            throw new ModelCallException(prompt, problem);
        }
    }

    private static string? FinishReason(IReadOnlyDictionary<string, object?>? metadata) =>
        metadata is not null && metadata.TryGetValue(FinishReasonKey, out var value) && value?.ToString() is { Length: > 0 } text ? text : null;

    /// <summary>Why an answer that stopped for <paramref name="finishReason"/> is not whole, or null when it is.</summary>
    internal static string? FinishProblem(string? finishReason) =>
        finishReason?.Replace("_", string.Empty, StringComparison.Ordinal).ToUpperInvariant() switch
        {
            "LENGTH" or "MAXTOKENS" =>
                "the answer was cut off at the model's output token limit (finish reason 'length'). Raise max_tokens in the prompt's config.json (execution_settings), or ask for less.",
            "CONTENTFILTER" =>
                "the provider's content filter withheld the answer (finish reason 'content_filter').",
            "ERROR" =>
                "the model stopped with an error (finish reason 'error').",
            _ => null,
        };

    private static KernelArguments Arguments(KernelFunction function, PromptInputs inputs, Action<PromptExecutionSettings>? configure)
    {
        var configured = function.ExecutionSettings is { } all
            ? all.TryGetValue(PromptExecutionSettings.DefaultServiceId, out var preferred) ? preferred : all.Values.FirstOrDefault()
            : null;
        var settings = new PromptExecutionSettings
        {
            ModelId = configured?.ModelId,
            ServiceId = configured?.ServiceId,
            FunctionChoiceBehavior = configured?.FunctionChoiceBehavior,
            ExtensionData = configured?.ExtensionData is { } data ? new Dictionary<string, object>(data) : new Dictionary<string, object>(),
        };
        configure?.Invoke(settings);
        var key = settings.ServiceId ?? PromptExecutionSettings.DefaultServiceId;
        return new KernelArguments(inputs.ToArguments(), new Dictionary<string, PromptExecutionSettings> { [key] = settings });
    }
}
