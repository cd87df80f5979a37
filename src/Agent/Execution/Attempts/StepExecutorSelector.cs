using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// The innermost layer of the step-attempt pipeline: it asks the registered executors in order
/// and runs the attempt on the first that can execute the step. A step that none can run fails
/// for good, with a message that says what to register.
/// </summary>
internal sealed class StepExecutorSelector : IStepExecutor
{
    private readonly IStepExecutor[] _executors;

    public StepExecutorSelector(IEnumerable<IStepExecutor> executors)
    {
        ArgumentNullException.ThrowIfNull(executors);
        _executors = [.. executors];
        if (Array.Exists(_executors, e => e is null))
        {
            throw new ArgumentException("The list of step executors holds a null.", nameof(executors));
        }
    }

    public bool CanExecute(PlanStep planStep) => Select(planStep) is not null;

    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Step;
        var executor = Select(step) ?? throw new StepExecutionException(
            step.Id,
            $"No step executor handles step '{step.Id}' ({DescribeKind(step)}). Register an executor for this kind of step, or give the step a tool to call.",
            isTransient: false);

        // An executor of someone else's may return null: that is an empty output, not a crash.
        return await executor.ExecuteAsync(context, cancellationToken).ConfigureAwait(false) ?? new StepOutput(string.Empty);
    }

    /// <summary>The executor that runs <paramref name="step"/>: the first that can; null when none can.</summary>
    public IStepExecutor? Select(PlanStep step)
    {
        foreach (var executor in _executors)
        {
            if (executor.CanExecute(step))
            {
                return executor;
            }
        }

        return null;
    }

    private static string DescribeKind(PlanStep step) => step.Kind switch
    {
        StepKind.Verify => "a verify step",
        StepKind.Subgoal => "a subgoal step",
        _ when step.Tool is null => "an action without a tool, which needs a model",
        _ => "a tool step",
    };
}
