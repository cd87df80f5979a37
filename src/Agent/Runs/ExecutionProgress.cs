namespace Plansmith.Agent.Runs;

/// <summary>Where a run stands, as a person watching it wants to know.</summary>
/// <param name="Total">Steps in the plan.</param>
/// <param name="Finished">Steps in a terminal status (completed, failed, skipped or cancelled).</param>
/// <param name="Completed">Steps completed with an output.</param>
/// <param name="Failed">Steps failed.</param>
/// <param name="Skipped">Steps skipped because a dependency did not complete.</param>
/// <param name="Running">Steps running now.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="EstimatedRemaining">
/// Time left, estimated from the mean duration of the steps finished so far and the parallelism
/// available; null until a step has finished.
/// </param>
public readonly record struct ExecutionProgress(
    int Total,
    int Finished,
    int Completed,
    int Failed,
    int Skipped,
    int Running,
    TimeSpan Elapsed,
    TimeSpan? EstimatedRemaining)
{
    /// <summary>Finished steps as a percentage of all steps, 0–100.</summary>
    public double Percent => Total == 0 ? 100 : 100.0 * Finished / Total;
}
