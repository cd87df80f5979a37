namespace Plansmith.Agent.Runs;

/// <summary>
/// Something that happened in a run. Events arrive on one ordered stream; progress displays, the
/// run store, telemetry and tests all read the same stream. Properties are named (set them with an
/// object initializer), so adding one breaks no caller.
/// </summary>
public abstract record ExecutionEvent
{
    /// <summary>When it happened.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Where the run stood right after it happened.</summary>
    public ExecutionProgress Progress { get; init; }
}

/// <summary>A step started: it is step <see cref="Ordinal"/> of <see cref="Total"/> to start.</summary>
public sealed record StepStarted : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>What the step does.</summary>
    public required string Description { get; init; }

    /// <summary>How many steps have started, this one included.</summary>
    public int Ordinal { get; init; }

    /// <summary>How many steps the plan has.</summary>
    public int Total { get; init; }
}

/// <summary>An attempt failed and the step will be tried again after <see cref="Delay"/>.</summary>
public sealed record StepRetrying : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>The attempt that failed, from 1.</summary>
    public int FailedAttempt { get; init; }

    /// <summary>Attempts allowed before the fallback.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>The wait before the next attempt.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Why the attempt failed.</summary>
    public required string Error { get; init; }
}

/// <summary>A step's retries are spent and its fallback starts.</summary>
public sealed record StepFallbackStarted : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>What the fallback does.</summary>
    public required string FallbackDescription { get; init; }

    /// <summary>Why the last attempt failed.</summary>
    public required string Error { get; init; }
}

/// <summary>A step completed with an output (<see cref="Output"/> whole, <see cref="OutputPreview"/> for display).</summary>
public sealed record StepCompleted : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>What the step does.</summary>
    public required string Description { get; init; }

    /// <summary>The start of the output, for display.</summary>
    public required string OutputPreview { get; init; }

    /// <summary>How long the step ran, all attempts included.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Attempts made, the fallback included.</summary>
    public int Attempts { get; init; }

    /// <summary>Whether the output came from the fallback.</summary>
    public bool UsedFallback { get; init; }

    /// <summary>The whole output.</summary>
    public required string Output { get; init; }

    /// <summary>Model calls and tokens the step spent.</summary>
    public TokenUsage Usage { get; init; }
}

/// <summary>A step failed for good: retries and fallback, if any, are spent.</summary>
public sealed record StepFailed : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>What the step does.</summary>
    public required string Description { get; init; }

    /// <summary>Why it failed.</summary>
    public required string Error { get; init; }

    /// <summary>How long the step ran, all attempts included.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Attempts made, the fallback included.</summary>
    public int Attempts { get; init; }
}

/// <summary>A step will not run because a step it depends on did not complete.</summary>
public sealed record StepSkipped : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>What the step does.</summary>
    public required string Description { get; init; }

    /// <summary>Why it will not run.</summary>
    public required string Reason { get; init; }
}

/// <summary>The plan's execution is over; the result holds every step's record. Always the last event of a plan execution.</summary>
public sealed record PlanCompleted : ExecutionEvent
{
    /// <summary>Every step's record.</summary>
    public required PlanExecutionResult Result { get; init; }
}

/// <summary>
/// A step that ran early (while its plan was still being written or reviewed) had its result
/// thrown away: the final plan changed or dropped it, or was not approved. If the final plan still
/// holds the step, it runs again.
/// </summary>
public sealed record StepDiscarded : ExecutionEvent
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>Why its early result was not kept.</summary>
    public required string Reason { get; init; }
}
