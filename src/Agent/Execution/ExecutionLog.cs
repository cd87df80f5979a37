using Microsoft.Extensions.Logging;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

internal static partial class ExecutionLog
{
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
