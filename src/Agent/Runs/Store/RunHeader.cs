namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The run-level part of a run's state, as <see cref="RunProjection.ApplyToHeader"/> folds it:
/// what a store keeps in one row per run.
/// </summary>
public sealed record RunHeader
{
    /// <summary>Running until a session's end is recorded, then the status it ended with.</summary>
    public StoredRunStatus Status { get; init; }

    /// <summary>The answer, or empty; while the answer streams, the part written so far.</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>Why the last session did not complete, or null.</summary>
    public string? Error { get; init; }

    /// <summary>Model calls and tokens over every ended session.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>When the last session ended, or null while one runs (its usage is not yet counted).</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Whether the last plan was put to the approver and not approved yet.</summary>
    public bool AwaitsApproval { get; init; }

    /// <summary>The run-level part of <paramref name="run"/>.</summary>
    public static RunHeader Of(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return new() { Status = run.Status, Answer = run.Answer, Error = run.Error, Usage = run.Usage, EndedAt = run.EndedAt, AwaitsApproval = run.AwaitsApproval };
    }

    /// <summary><paramref name="run"/> with this run-level part.</summary>
    public StoredRun ApplyTo(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run with { Status = Status, Answer = Answer, Error = Error, Usage = Usage, EndedAt = EndedAt, AwaitsApproval = AwaitsApproval };
    }
}
