using System.Diagnostics;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Execution;

/// <summary>
/// The tracing layer: one <c>execute_step</c> span per attempt, tagged with the step, its kind, the
/// attempt and whether it is the fallback, and closed with the attempt's status and token usage. A
/// step that calls a tool directly also gets an <c>execute_tool</c> span for the call inside it.
/// Nothing is recorded when nobody listens to <see cref="PlansmithTelemetry.SourceName"/>.
/// </summary>
internal sealed class TracingStepExecutor : DelegatingStepExecutor
{
    private readonly StepExecutorSelector _executors;

    /// <param name="inner">The layer that makes the attempt.</param>
    /// <param name="executors">The executors the attempt runs on, to know whether it is a direct tool call.</param>
    public TracingStepExecutor(IStepExecutor inner, StepExecutorSelector executors)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(executors);
        _executors = executors;
    }

    public override Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Nobody listening: no span, and no state machine of this layer's.
        return PlansmithTelemetry.Source.HasListeners() ? TracedAsync(context, cancellationToken) : Inner.ExecuteAsync(context, cancellationToken);
    }

    private async Task<StepOutput> TracedAsync(StepContext context, CancellationToken cancellationToken)
    {
        var step = context.Step;
        using var span = PlansmithTelemetry.Start("execute_step", step.Id);
        if (span is null)
        {
            return await Inner.ExecuteAsync(context, cancellationToken).ConfigureAwait(false);
        }

        span.SetTag("plansmith.step.id", step.Id);
        span.SetTag("plansmith.step.kind", PlanJson.KindName(step.Kind));
        span.SetTag("plansmith.step.attempt", context.Attempt);
        span.SetTag("plansmith.step.fallback", context.IsFallback);
        using var tool = StartToolSpan(context);
        try
        {
            var output = await Inner.ExecuteAsync(context, cancellationToken).ConfigureAwait(false);
            span.SetTag("plansmith.step.status", "completed");
            PlansmithTelemetry.SetUsage(span, output.Usage);
            return output;
        }
        catch (Exception ex) when (IsCancellation(ex, cancellationToken))
        {
            span.SetTag("plansmith.step.status", "cancelled");
            throw;
        }
        catch (Exception ex)
        {
            span.SetTag("plansmith.step.status", "failed");
            PlansmithTelemetry.Fail(span, ex.Message);

            // The tool span names the tool's own fault, which the tool executor wraps.
            PlansmithTelemetry.Fail(tool, (ex is StepExecutionException { InnerException: { } cause } ? cause : ex).GetType().Name);
            throw;
        }
    }

    /// <summary>The span of a direct tool call: a step that <see cref="ToolStepExecutor"/> runs, calling a tool the kernel has.</summary>
    private Activity? StartToolSpan(StepContext context)
    {
        if (_executors.Select(context.Step) is not ToolStepExecutor || !ToolResolver.TryResolve(context.Kernel.Plugins, context.Step.Tool!, out var function))
        {
            return null;
        }

        var name = ToolResolver.CanonicalName(function);
        var span = PlansmithTelemetry.Start("execute_tool", name);
        span?.SetTag("gen_ai.tool.name", name);
        return span;
    }
}
