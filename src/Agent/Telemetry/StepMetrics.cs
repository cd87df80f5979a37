using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Telemetry;

/// <summary>
/// The step metrics (<c>plansmith.steps</c> by status, <c>plansmith.step.failures</c>,
/// <c>plansmith.step.duration</c>), read from a run's events like every other observer of the run.
/// </summary>
internal static class StepMetrics
{
    /// <summary>Records the step that <paramref name="executionEvent"/> reports as completed or failed; ignores other events.</summary>
    public static void Record(ExecutionEvent executionEvent)
    {
        switch (executionEvent)
        {
            case StepCompleted completed:
                PlansmithTelemetry.Steps.Add(1, new KeyValuePair<string, object?>("status", "completed"));
                PlansmithTelemetry.StepDuration.Record(completed.Duration.TotalSeconds);
                break;
            case StepFailed failed:
                PlansmithTelemetry.Steps.Add(1, new KeyValuePair<string, object?>("status", "failed"));
                PlansmithTelemetry.StepFailures.Add(1);
                PlansmithTelemetry.StepDuration.Record(failed.Duration.TotalSeconds);
                break;
        }
    }
}
