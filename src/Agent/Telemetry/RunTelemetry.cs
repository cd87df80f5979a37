using System.Diagnostics;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Telemetry;

/// <summary>Run-level telemetry read from a run's result: the run span's tags and the run metrics.</summary>
internal static class RunTelemetry
{
    /// <summary>Tags the run's span with how it ended and counts it in the run metrics.</summary>
    public static void Record(Activity? span, AgentRunResult result)
    {
        var status = result.Status.ToString().ToLowerInvariant();
        span?.SetTag("plansmith.run.status", status);
        span?.SetTag("plansmith.run.id", result.RunId);
        span?.SetTag("plansmith.replans", result.Replans);
        PlansmithTelemetry.SetUsage(span, result.Usage);
        if (result.Status is not (AgentRunStatus.Completed or AgentRunStatus.Answered))
        {
            PlansmithTelemetry.Fail(span, result.Error ?? status);
        }

        var tag = new KeyValuePair<string, object?>("status", status);
        PlansmithTelemetry.Runs.Add(1, tag);
        PlansmithTelemetry.RunDuration.Record(result.Duration.TotalSeconds, tag);
        PlansmithTelemetry.Tokens.Add(result.Usage.InputTokens, new KeyValuePair<string, object?>("type", "input"));
        PlansmithTelemetry.Tokens.Add(result.Usage.OutputTokens, new KeyValuePair<string, object?>("type", "output"));
        if (result.Replans > 0)
        {
            PlansmithTelemetry.Replans.Add(result.Replans);
        }
    }
}
