using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>What happened to one step in a run.</summary>
public sealed record StepRecord
{
    /// <summary>The step's id.</summary>
    public required string StepId { get; init; }

    /// <summary>The step's status when the run ended.</summary>
    public StepStatus Status { get; init; }

    /// <summary>The output text when completed, else null.</summary>
    public string? Output { get; init; }

    /// <summary>Attempts made, the fallback included; 0 when the step never started.</summary>
    public int Attempts { get; init; }

    /// <summary>When the step started, or null when it never did.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When the step ended, or null when it never started.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Why the step failed, was skipped or was cancelled; null when it completed.</summary>
    public string? Error { get; init; }

    /// <summary>Whether the output came from the step's fallback.</summary>
    public bool UsedFallback { get; init; }

    /// <summary>Model calls and tokens the step spent (the attempt that produced the output).</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>Whether the output was carried over from an earlier run rather than produced in this one.</summary>
    public bool Restored { get; init; }

    /// <summary>How long the step ran, when it ran.</summary>
    public TimeSpan? Duration => StartedAt is { } start && EndedAt is { } end ? end - start : null;
}
