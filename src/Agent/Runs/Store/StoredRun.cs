using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// A stored run: what was known when it started, its state as <see cref="RunProjection"/> folds
/// its events, and the events themselves. Enough to report it and to resume it.
/// </summary>
public sealed record StoredRun
{
    /// <summary>The run's id.</summary>
    public required string Id { get; init; }

    /// <summary>What was known when it started.</summary>
    public required RunInfo Info { get; init; }

    /// <summary>
    /// <see cref="StoredRunStatus.Running"/> while a session runs and its owner is live;
    /// <see cref="StoredRunStatus.Interrupted"/> when it was running but its owner is gone (lease
    /// lapsed, or process dead on this machine); else the status its last session ended with.
    /// </summary>
    public StoredRunStatus Status { get; init; }

    /// <summary>The live process that owns it, or null when none does.</summary>
    public RunOwner? Owner { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When its last session ended, or null while one runs.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The answer, or empty; while the answer streams, the part written so far.</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>Why it did not complete, or null.</summary>
    public string? Error { get; init; }

    /// <summary>Model calls and tokens over every ended session of the run.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>Every plan version, first to last.</summary>
    public IReadOnlyList<Plan> PlanVersions { get; init; } = [];

    /// <summary>Each step's state, in the order the steps first appeared.</summary>
    public IReadOnlyList<StoredStep> Steps { get; init; } = [];

    /// <summary>Every recorded event, in order, as stored JSON.</summary>
    public IReadOnlyList<StoredEvent> Events { get; init; } = [];

    /// <summary>
    /// Whether the run's last plan was put to the approver and never approved: it stopped while
    /// waiting for approval, so nothing of that plan may run until it is approved.
    /// </summary>
    public bool AwaitsApproval { get; init; }
}
