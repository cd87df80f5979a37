namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs one kind of plan step. The plan executor asks each registered executor in turn and uses
/// the first that <see cref="CanExecute"/> the step.
/// </summary>
public interface IStepExecutor
{
    /// <summary>Whether this executor handles the step.</summary>
    bool CanExecute(Plans.PlanStep planStep);

    /// <summary>Runs the step once. Throw to fail the attempt; <see cref="StepExecutionException"/> says whether a retry can help.</summary>
    Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default);
}
