using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>How an agent run ended.</summary>
public enum AgentRunStatus
{
    /// <summary>The plan ran to the end and the answer is written.</summary>
    Completed,

    /// <summary>The router answered at once, with no plan.</summary>
    Answered,

    /// <summary>Steps failed beyond what retries, fallbacks and replans could mend; the answer says what is missing.</summary>
    Failed,

    /// <summary>A budget limit stopped the plan; the answer is written from the partial results.</summary>
    BudgetExhausted,

    /// <summary>No valid plan could be made, or the plan was rejected at approval.</summary>
    Rejected,

    /// <summary>The run was cancelled.</summary>
    Cancelled,
}

/// <summary>Everything a run produced: the answer, the plans, every step's record, every event, usage and timings.</summary>
public sealed record AgentRunResult
{
    /// <summary>The goal.</summary>
    public required string Goal { get; init; }

    /// <summary>The run's id in the run store, or null when it was not recorded.</summary>
    public string? RunId { get; init; }

    /// <summary>How the run ended.</summary>
    public AgentRunStatus Status { get; init; }

    /// <summary>The answer in Markdown; empty when none could be written.</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>The plan as it stood at the end, or null when none was made.</summary>
    public Plan? Plan { get; init; }

    /// <summary>Every version of the plan, first to last (created, reflected, approved, revised).</summary>
    public IReadOnlyList<Plan> PlanVersions { get; init; } = [];

    /// <summary>The record of each step of the final plan; completed steps keep the record of the run that completed them.</summary>
    public IReadOnlyList<StepRecord> Steps { get; init; } = [];

    /// <summary>Every event of the run, in order.</summary>
    public IReadOnlyList<ExecutionEvent> Events { get; init; } = [];

    /// <summary>Model calls and tokens summed over every request of the run.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>Revised plans made after failures.</summary>
    public int Replans { get; init; }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the run ended.</summary>
    public DateTimeOffset EndedAt { get; init; }

    /// <summary>Why the run did not complete, or null.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// Whether the run ended <see cref="AgentRunStatus.Rejected"/> because the approver said no
    /// (nothing ran), rather than because no valid plan could be made.
    /// </summary>
    public bool RejectedByApprover { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Duration => EndedAt - StartedAt;

    /// <summary>The record of the step with this id.</summary>
    /// <exception cref="KeyNotFoundException">No step of the final plan has this id.</exception>
    public StepRecord this[string stepId] =>
        Steps.FirstOrDefault(s => s.StepId == stepId) ?? throw new KeyNotFoundException($"The final plan has no step '{stepId}'.");
}
