using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Builds the chat service a run talks to as layers around the host's chat service, in the manner
/// of <c>ChatClientBuilder</c>: each <c>Use…</c> adds a layer, the first one outermost.
/// </summary>
/// <remarks>
/// A run's pipeline is: budget → usage metering → telemetry → logging → the host's chat service,
/// whose own function-calling loop (SK's auto-invoke) is the innermost layer; the run's
/// <c>IAutoFunctionInvocationFilter</c> charges each further round trip of that loop to the same
/// budget and meter.
/// </remarks>
public sealed class ModelPipelineBuilder
{
    private readonly IChatCompletionService _inner;
    private readonly List<Func<IChatCompletionService, IChatCompletionService>> _layers = [];

    /// <summary>Starts a pipeline around <paramref name="inner"/>.</summary>
    public ModelPipelineBuilder(IChatCompletionService inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>Adds a layer; layers added first sit outermost.</summary>
    public ModelPipelineBuilder Use(Func<IChatCompletionService, IChatCompletionService> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _layers.Add(layer);
        return this;
    }

    /// <summary>Holds every call to the run's budget: a call the budget cannot afford throws <see cref="BudgetExceededException"/> before it is sent.</summary>
    internal ModelPipelineBuilder UseBudget(RunMeter meter) => Use(inner => new BudgetChatCompletionService(inner, meter));

    /// <summary>Adds each call's tokens to the run's usage (and to the step's, when one is measuring).</summary>
    internal ModelPipelineBuilder UseUsageMetering(RunMeter meter) => Use(inner => new MeteringChatCompletionService(inner, meter));

    /// <summary>One client span per call, named for the prompt, with its token usage.</summary>
    public ModelPipelineBuilder UseTelemetry() => Use(inner => new TelemetryChatCompletionService(inner));

    /// <summary>Logs each call (prompt name, duration, tokens) at Debug; never its text.</summary>
    public ModelPipelineBuilder UseLogging(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return Use(inner => new LoggingChatCompletionService(inner, loggerFactory.CreateLogger("Plansmith.Agent.Planning.ModelCalls"), TimeProvider.System));
    }

    /// <summary>The pipeline: the layers around the host's chat service.</summary>
    public IChatCompletionService Build()
    {
        var service = _inner;
        for (var i = _layers.Count - 1; i >= 0; i--)
        {
            service = _layers[i](service) ?? throw new InvalidOperationException($"Pipeline layer {i + 1} returned no service.");
        }

        return service;
    }
}
