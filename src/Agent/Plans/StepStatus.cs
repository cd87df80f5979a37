namespace Plansmith.Agent.Plans;

/// <summary>The life cycle of one step in a run.</summary>
public enum StepStatus
{
    /// <summary>Not started yet: waiting for dependencies or for a free slot.</summary>
    Pending,

    /// <summary>Started and not finished.</summary>
    Running,

    /// <summary>Finished with an output.</summary>
    Completed,

    /// <summary>Finished without an output after its retries and fallback were spent.</summary>
    Failed,

    /// <summary>Never started because a step it depends on did not complete.</summary>
    Skipped,

    /// <summary>Stopped, or never started, because the run was cancelled.</summary>
    Cancelled,
}

/// <summary>Helpers over <see cref="StepStatus"/>.</summary>
public static class StepStatusExtensions
{
    /// <summary>Whether a step in this status will not change again during the run.</summary>
    public static bool IsTerminal(this StepStatus status) =>
        status is StepStatus.Completed or StepStatus.Failed or StepStatus.Skipped or StepStatus.Cancelled;
}
