namespace Plansmith.Agent.Execution;

/// <summary>
/// Hears what the attempt pipeline does with one step, as it happens: each attempt it makes, each
/// retry it waits for, and the switch to the fallback. The scheduler turns these into
/// <see cref="Runs.StepRetrying"/> and <see cref="Runs.StepFallbackStarted"/> events and counts the
/// attempts. Calls may come from any thread, but never two at once for the same step.
/// </summary>
internal interface IStepAttemptObserver
{
    /// <summary>An attempt is about to be made with <paramref name="context"/>.</summary>
    void AttemptStarting(StepContext context);

    /// <summary>
    /// The attempt made with <paramref name="failed"/> failed with <paramref name="error"/> and will
    /// be tried again after <paramref name="delay"/>. When the delay is not zero, this comes once the
    /// wait has begun, so someone who moves the clock on hearing it moves the wait too.
    /// </summary>
    void Retrying(StepContext failed, int maxAttempts, TimeSpan delay, Exception error);

    /// <summary>The step failed for good with <paramref name="error"/>; its fallback runs next with <paramref name="fallback"/>.</summary>
    void FallingBack(StepContext fallback, Exception error);
}
