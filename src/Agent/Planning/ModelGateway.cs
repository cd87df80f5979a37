using System.Runtime.CompilerServices;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Every model call of a run goes through here: it checks the budget before the call, invokes
/// the prompt function with its configured execution settings (plus any overrides), and adds
/// the tokens the response reports.
/// </summary>
internal sealed class ModelGateway
{
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
    /// <param name="prompt">The prompt function's name.</param>
    /// <param name="inputs">The prompt's inputs.</param>
    /// <param name="kernel">The kernel to call through (e.g. a clone with fewer plugins); the run's kernel when null.</param>
    /// <param name="configure">Changes to the prompt's execution settings for this call.</param>
    /// <param name="always">Make the call even when the budget is spent (the final answer).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<FunctionResult> InvokeAsync(
        string prompt,
        IDictionary<string, object?> inputs,
        Kernel? kernel = null,
        Action<PromptExecutionSettings>? configure = null,
        bool always = false,
        CancellationToken cancellationToken = default)
    {
        Meter.BeginCall(always);
        var function = _prompts.Get(prompt);
        using var span = PlansmithTelemetry.Start("chat", prompt, System.Diagnostics.ActivityKind.Client);
        FunctionResult result;
        try
        {
            result = await function.InvokeAsync(kernel ?? _kernel, Arguments(function, inputs, configure), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or BudgetExceededException or ModelCallException))
        {
            // Whatever the connector throws — HTTP errors, a body that is not JSON, a dropped
            // connection — becomes one typed failure naming the prompt.
            PlansmithTelemetry.Fail(span, ex.GetType().Name);
            throw new ModelCallException(prompt, ex);
        }

        var (input, output) = TokenUsage.Read(result.Metadata);
        Meter.AddTokens(input, output);
        PlansmithTelemetry.SetUsage(span, new TokenUsage(1, input, output));
        return result;
    }

    /// <summary>Invokes a prompt and streams the model's text as it comes.</summary>
    public async IAsyncEnumerable<string> InvokeStreamingAsync(
        string prompt,
        IDictionary<string, object?> inputs,
        bool always = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Meter.BeginCall(always);
        var function = _prompts.Get(prompt);
        using var span = PlansmithTelemetry.Start("chat", prompt, System.Diagnostics.ActivityKind.Client);
        long input = 0, output = 0;
        await foreach (var chunk in function.InvokeStreamingAsync<StreamingChatMessageContent>(_kernel, Arguments(function, inputs, null), cancellationToken).ConfigureAwait(false))
        {
            var (i, o) = TokenUsage.Read(chunk.Metadata);
            input = Math.Max(input, i);
            output = Math.Max(output, o);
            if (!string.IsNullOrEmpty(chunk.Content))
            {
                yield return chunk.Content;
            }
        }

        Meter.AddTokens(input, output);
        PlansmithTelemetry.SetUsage(span, new TokenUsage(1, input, output));
    }

    private static KernelArguments Arguments(KernelFunction function, IDictionary<string, object?> inputs, Action<PromptExecutionSettings>? configure)
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
        return new KernelArguments(inputs, new Dictionary<string, PromptExecutionSettings> { [key] = settings });
    }
}
