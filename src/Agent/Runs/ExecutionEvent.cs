using Plansmith.Agent.Execution;

namespace Plansmith.Agent.Runs;

/// <summary>
/// Something that happened in a run. Events arrive on one ordered stream; progress displays, the
/// run store, telemetry and tests all read the same stream.
/// </summary>
/// <param name="Timestamp">When it happened.</param>
/// <param name="Progress">Where the run stood right after it happened.</param>
public abstract record ExecutionEvent(DateTimeOffset Timestamp, ExecutionProgress Progress);

/// <summary>A step started: it is step <paramref name="Ordinal"/> of <paramref name="Total"/> to start.</summary>
public sealed record StepStarted(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    string Description,
    int Ordinal,
    int Total) : ExecutionEvent(Timestamp, Progress);

/// <summary>An attempt failed and the step will be tried again after <paramref name="Delay"/>.</summary>
public sealed record StepRetrying(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    int FailedAttempt,
    int MaxAttempts,
    TimeSpan Delay,
    string Error) : ExecutionEvent(Timestamp, Progress);

/// <summary>A step's retries are spent and its fallback starts.</summary>
public sealed record StepFallbackStarted(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    string FallbackDescription,
    string Error) : ExecutionEvent(Timestamp, Progress);

/// <summary>A step completed with an output (<paramref name="Output"/> whole, <paramref name="OutputPreview"/> for display).</summary>
public sealed record StepCompleted(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    string Description,
    string OutputPreview,
    TimeSpan Duration,
    int Attempts,
    bool UsedFallback,
    string Output,
    Planning.TokenUsage Usage = default) : ExecutionEvent(Timestamp, Progress);

/// <summary>A step failed for good: retries and fallback, if any, are spent.</summary>
public sealed record StepFailed(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    string Description,
    string Error,
    TimeSpan Duration,
    int Attempts) : ExecutionEvent(Timestamp, Progress);

/// <summary>A step will not run because a step it depends on did not complete.</summary>
public sealed record StepSkipped(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    string StepId,
    string Description,
    string Reason) : ExecutionEvent(Timestamp, Progress);

/// <summary>The run is over; the result holds every step's record. Always the last event.</summary>
public sealed record PlanCompleted(
    DateTimeOffset Timestamp,
    ExecutionProgress Progress,
    PlanExecutionResult Result) : ExecutionEvent(Timestamp, Progress);
