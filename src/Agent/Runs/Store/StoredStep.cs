using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// A step's stored state, as <see cref="RunProjection.ApplyToStep"/> folds its events. The status
/// is the live step's life cycle (<see cref="StepStatus"/>): <see cref="StepStatus.Running"/> from
/// <see cref="StepStarted"/> until the step completes, fails or is skipped. A step that was running
/// when its run stopped stays <see cref="StepStatus.Running"/> in the store (cancellation is not
/// recorded per step), which is how a resume finds the steps whose effects are unknown.
/// </summary>
public sealed record StoredStep(string StepId, StepStatus Status, string? Output, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error, bool Unverified)
{
    /// <summary>Model calls and tokens the step spent.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>How long the step ran, when it started and ended.</summary>
    public TimeSpan? Duration => StartedAt is { } start && EndedAt is { } end ? end - start : null;

    /// <summary>A step nothing has happened to yet.</summary>
    public static StoredStep Pending(string stepId) => new(stepId, StepStatus.Pending, null, 0, null, null, null, false);
}
