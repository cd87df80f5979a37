using System.Diagnostics;
using System.Diagnostics.Metrics;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Telemetry;

/// <summary>
/// Plansmith's OpenTelemetry sources: spans for each run, planning call, step and tool call, named
/// after the GenAI semantic conventions (<c>gen_ai.operation.name</c> = <c>invoke_agent</c>,
/// <c>plan</c>, <c>reflect</c>, <c>replan</c>, <c>execute_step</c>, <c>execute_tool</c>, <c>chat</c>),
/// with token usage as attributes; and metrics for runs, steps, failures, replans, tokens and
/// durations. Subscribe with <c>AddSource(PlansmithTelemetry.SourceName)</c> and
/// <c>AddMeter(PlansmithTelemetry.SourceName)</c>; add <c>Microsoft.SemanticKernel*</c> for SK's own.
/// Prompts, goals and outputs are not recorded.
/// </summary>
public static class PlansmithTelemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string SourceName = "Plansmith";

    internal static readonly ActivitySource Source = new(SourceName, typeof(PlansmithTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Meter Meter = new(SourceName, typeof(PlansmithTelemetry).Assembly.GetName().Version?.ToString());
    internal static readonly Counter<long> Runs = Meter.CreateCounter<long>("plansmith.runs", "{run}", "Runs, by final status.");
    internal static readonly Counter<long> Steps = Meter.CreateCounter<long>("plansmith.steps", "{step}", "Steps finished, by status.");
    internal static readonly Counter<long> StepFailures = Meter.CreateCounter<long>("plansmith.step.failures", "{step}", "Steps that failed for good.");
    internal static readonly Counter<long> Replans = Meter.CreateCounter<long>("plansmith.replans", "{replan}", "Revised plans after failures.");
    internal static readonly Counter<long> Tokens = Meter.CreateCounter<long>("plansmith.tokens", "{token}", "Tokens used, by type (input, output).");
    internal static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("plansmith.run.duration", "s", "Run wall time.");
    internal static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("plansmith.step.duration", "s", "Step wall time.");

    /// <summary>Starts a span for a GenAI operation, or returns null when nobody listens.</summary>
    internal static Activity? Start(string operation, string? target = null, ActivityKind kind = ActivityKind.Internal)
    {
        var activity = Source.StartActivity(target is null ? operation : $"{operation} {target}", kind);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.system", "plansmith");
        return activity;
    }

    /// <summary>Records token usage on a span in the GenAI attribute names.</summary>
    internal static void SetUsage(Activity? activity, TokenUsage usage)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.usage.input_tokens", usage.InputTokens);
        activity.SetTag("gen_ai.usage.output_tokens", usage.OutputTokens);
        activity.SetTag("plansmith.model_calls", usage.ModelCalls);
    }

    /// <summary>Marks a span failed with a short description.</summary>
    internal static void Fail(Activity? activity, string description)
    {
        activity?.SetStatus(ActivityStatusCode.Error, description.Length > 200 ? description[..200] : description);
    }
}
