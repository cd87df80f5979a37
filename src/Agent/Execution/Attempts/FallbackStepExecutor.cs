namespace Plansmith.Agent.Execution;

/// <summary>
/// The fallback layer: when a step has failed for good (its retries spent, or a failure no retry
/// could mend), and the step has a fallback, the fallback runs once in its place under the same
/// id, announced to the observer first. If the fallback fails too, the step fails with both
/// errors. The run's cancellation passes straight through.
/// </summary>
internal sealed class FallbackStepExecutor : DelegatingStepExecutor
{
    public FallbackStepExecutor(IStepExecutor inner)
        : base(inner)
    {
    }

    public override Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Most steps have no fallback: they pass straight through, with no state machine of this layer's.
        return context.IsFallback || context.Step.Fallback is null
            ? Inner.ExecuteAsync(context, cancellationToken)
            : WithFallbackAsync(context, cancellationToken);
    }

    private async Task<StepOutput> WithFallbackAsync(StepContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await Inner.ExecuteAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception primary) when (!IsCancellation(primary, cancellationToken))
        {
            var fallback = context.ForFallback(context.Step.AsFallbackStep()!);
            context.Observer?.FallingBack(fallback, primary);
            try
            {
                return await Inner.ExecuteAsync(fallback, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception secondary) when (!IsCancellation(secondary, cancellationToken))
            {
                throw new StepExecutionException(
                    context.Step.Id,
                    $"{primary.Message} Fallback failed too: {secondary.Message}",
                    isTransient: false,
                    secondary);
            }
        }
    }
}
