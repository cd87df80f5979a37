using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

/// <summary>What the scheduler knows of one step of a run; becomes its <see cref="StepRecord"/>.</summary>
internal sealed class StepState
{
    public StepStatus Status { get; set; } = StepStatus.Pending;

    public string? Output { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public string? Error { get; set; }

    public bool UsedFallback { get; set; }

    public bool Restored { get; set; }

    public TokenUsage Usage { get; set; }

    public StepRecord ToRecord(string stepId) => new()
    {
        StepId = stepId,
        Status = Status,
        Output = Status == StepStatus.Completed ? Output : null,
        Attempts = Attempts,
        StartedAt = StartedAt,
        EndedAt = EndedAt,
        Error = Error,
        UsedFallback = UsedFallback,
        Restored = Restored,
        Usage = Usage,
    };
}
