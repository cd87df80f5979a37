namespace Plansmith.Agent.Runs;

/// <summary>Where a run stands, as a person watching it wants to know.</summary>
/// <param name="Total">Steps in the plan.</param>
/// <param name="Finished">
/// Steps that came to an end: completed, failed or skipped. A step cancelled with the run did not
/// finish and is not counted.
/// </param>
/// <param name="Completed">Steps completed with an output.</param>
/// <param name="Failed">Steps failed.</param>
/// <param name="Skipped">Steps skipped because a dependency did not complete.</param>
/// <param name="Running">Steps running now.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="EstimatedRemaining">
/// Time left, estimated from the mean duration of the steps finished so far (less the time running
/// steps have already spent) and the parallelism available; null until a step has finished.
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

    /// <summary>
    /// This progress as it stands <paramref name="time"/> later with no new event: more time
    /// elapsed and that much less left (never below zero). A display that redraws between events
    /// uses it so that the time left keeps falling while a long step runs.
    /// </summary>
    public ExecutionProgress After(TimeSpan time)
    {
        if (time <= TimeSpan.Zero)
        {
            return this;
        }

        return this with
        {
            Elapsed = Elapsed + time,
            EstimatedRemaining = EstimatedRemaining is { } left ? (left > time ? left - time : TimeSpan.Zero) : null,
        };
    }
}
