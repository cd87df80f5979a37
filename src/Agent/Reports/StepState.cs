using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Reports;

/// <summary>What one step did, as far as the stored events and step rows tell.</summary>
internal sealed record StepState
{
    public static readonly StepState Pending = new() { Status = "pending" };

    public required string Status { get; init; }

    public string? Output { get; init; }

    public string? Error { get; init; }

    public int Attempts { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }

    public TokenUsage Usage { get; init; }

    public bool Unverified { get; init; }

    public TimeSpan? Duration => StartedAt is { } a && EndedAt is { } b ? b - a : null;

    public static StepState From(StoredStep step) => new()
    {
        Status = step.Status,
        Output = step.Output,
        Error = step.Error,
        Attempts = step.Attempts,
        StartedAt = step.StartedAt,
        EndedAt = step.EndedAt,
        Usage = step.Usage,
        Unverified = step.Unverified,
    };
}
