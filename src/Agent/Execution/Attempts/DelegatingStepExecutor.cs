using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// A layer of the step-attempt pipeline: an <see cref="IStepExecutor"/> that adds one concern
/// (timeout, retry, fallback, tracing) around another. By default it passes everything through.
/// </summary>
internal abstract class DelegatingStepExecutor : IStepExecutor
{
    protected DelegatingStepExecutor(IStepExecutor inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Inner = inner;
    }

    /// <summary>The layer inside this one.</summary>
    protected IStepExecutor Inner { get; }

    public virtual bool CanExecute(PlanStep planStep) => Inner.CanExecute(planStep);

    public virtual Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) =>
        Inner.ExecuteAsync(context, cancellationToken);

    /// <summary>Whether <paramref name="error"/> is the run's cancellation arriving, which is not a failure of the step.</summary>
    protected static bool IsCancellation(Exception error, CancellationToken cancellationToken) =>
        error is OperationCanceledException && cancellationToken.IsCancellationRequested;
}
