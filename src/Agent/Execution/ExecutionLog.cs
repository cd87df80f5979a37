using Microsoft.Extensions.Logging;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

internal static partial class ExecutionLog
{
    /// <summary>Logs what a step event says: the log is an observer of the event stream, like the store and the metrics.</summary>
    public static void Observe(ILogger logger, ExecutionEvent executionEvent)
    {
        switch (executionEvent)
        {
            case Runs.StepStarted e:
                StepStarted(logger, e.StepId, e.Ordinal, e.Total);
                break;
            case Runs.StepRetrying e:
                StepRetrying(logger, e.StepId, e.FailedAttempt, e.Delay.TotalMilliseconds, e.Error);
                break;
            case StepFallbackStarted e:
                StepFallingBack(logger, e.StepId, e.Error);
                break;
            case Runs.StepCompleted e:
                StepCompleted(logger, e.StepId, e.Duration.TotalMilliseconds, e.Attempts);
                break;
            case Runs.StepFailed e:
                StepFailed(logger, e.StepId, e.Attempts, e.Error);
                break;
            case Runs.StepSkipped e:
                StepSkipped(logger, e.StepId, e.Reason);
                break;
            case PlanCompleted e:
                RunEnded(logger, e.Result.Status, e.Result.Duration.TotalMilliseconds);
                break;
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Running plan of {StepCount} steps with at most {MaxParallelism} at once")]
    public static partial void RunStarting(ILogger logger, int stepCount, int maxParallelism);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Step {StepId} started ({Ordinal} of {Total})")]
    public static partial void StepStarted(ILogger logger, string stepId, int ordinal, int total);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Step {StepId} completed in {DurationMs} ms after {Attempts} attempt(s)")]
    public static partial void StepCompleted(ILogger logger, string stepId, double durationMs, int attempts);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Step {StepId} attempt {Attempt} failed; retrying in {DelayMs} ms: {Error}")]
    public static partial void StepRetrying(ILogger logger, string stepId, int attempt, double delayMs, string error);

    // Information, not Warning: the StepFailed event and the run result carry it, and a console
    // that shows progress would print it twice.
    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Step {StepId} failed after {Attempts} attempt(s): {Error}")]
    public static partial void StepFailed(ILogger logger, string stepId, int attempts, string error);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Step {StepId} skipped: {Reason}")]
    public static partial void StepSkipped(ILogger logger, string stepId, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Plan run ended {Status} in {DurationMs} ms")]
    public static partial void RunEnded(ILogger logger, PlanExecutionStatus status, double durationMs);

    [LoggerMessage(EventId = 107, Level = LogLevel.Error, Message = "Plan cannot finish: {Error}")]
    public static partial void Unsatisfiable(ILogger logger, string error);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Step {StepId} falls back after: {Error}")]
    public static partial void StepFallingBack(ILogger logger, string stepId, string error);
}
