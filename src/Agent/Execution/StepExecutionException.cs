namespace Plansmith.Agent.Execution;

/// <summary>A step attempt failed. <see cref="IsTransient"/> tells the executor whether to retry.</summary>
public sealed class StepExecutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StepExecutionException(string stepId, string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        StepId = stepId;
        IsTransient = isTransient;
    }

    /// <summary>The step that failed.</summary>
    public string StepId { get; }

    /// <summary>
    /// Whether trying again may succeed. False for faults in the plan itself (an unknown tool, an
    /// argument that cannot be converted, a reference that cannot be resolved): retrying those
    /// only wastes time, so the executor goes straight to the fallback.
    /// </summary>
    public bool IsTransient { get; }
}
