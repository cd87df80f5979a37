using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>How a run of a plan ended.</summary>
public enum PlanExecutionStatus
{
    /// <summary>Every step completed.</summary>
    Completed,

    /// <summary>At least one step failed, was skipped, or could never start.</summary>
    Failed,

    /// <summary>The run was cancelled before every step finished.</summary>
    Cancelled,
}

/// <summary>The outcome of running a plan: every step's record, in plan order.</summary>
public sealed record PlanExecutionResult
{
    /// <summary>The plan that was run.</summary>
    public required Plan Plan { get; init; }

    /// <summary>How the run ended.</summary>
    public PlanExecutionStatus Status { get; init; }

    /// <summary>Each step's record, in plan order.</summary>
    public required IReadOnlyList<StepRecord> Steps { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended.</summary>
    public DateTimeOffset EndedAt { get; init; }

    /// <summary>Why the run did not complete, in one message; null when it completed.</summary>
    public string? Error { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Duration => EndedAt - StartedAt;

    /// <summary>The record of the step with this id.</summary>
    /// <exception cref="KeyNotFoundException">No step has this id.</exception>
    public StepRecord this[string stepId] =>
        Steps.FirstOrDefault(s => s.StepId == stepId)
        ?? throw new KeyNotFoundException($"The plan has no step '{stepId}'.");

    /// <summary>Output text of every completed step, by id.</summary>
    public IReadOnlyDictionary<string, string> Outputs =>
        Steps.Where(s => s.Status == StepStatus.Completed && s.Output is not null)
            .ToDictionary(s => s.StepId, s => s.Output!, StringComparer.Ordinal);
}
