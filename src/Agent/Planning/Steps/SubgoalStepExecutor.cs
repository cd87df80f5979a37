using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Runs a subgoal step: the planner expands it into a child plan, which runs with its own
/// executor one level deeper; the child's final outputs become the step's output. At
/// <see cref="PlansmithOptions.MaxDepth"/>, or when the planner calls the subgoal atomic, a model
/// does it as one step instead.
/// </summary>
internal sealed class SubgoalStepExecutor : IStepExecutor
{
    private readonly RunScope _scope;
    private readonly ChatStepExecutor _direct;

    public SubgoalStepExecutor(RunScope scope, ChatStepExecutor direct)
    {
        _scope = scope;
        _direct = direct;
    }

    public bool CanExecute(PlanStep planStep) => planStep.Kind == StepKind.Subgoal;

    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var step = context.Step;
        var asAction = new StepContext(context.Plan, step with { Kind = StepKind.Action }, context.Kernel, context.Outputs, context.Attempt, context.IsFallback);
        if (_scope.Depth >= _scope.Options.MaxDepth)
        {
            return await _direct.ExecuteAsync(asAction, cancellationToken).ConfigureAwait(false);
        }

        var inherited = _scope.ContextFor(context);
        Plan? child;
        try
        {
            child = await RunScope.GuardAsync(step.Id, () => _scope.Planner.DecomposeAsync(_scope.Run, step with { Description = RunScope.Describe(context) }, inherited, cancellationToken)).ConfigureAwait(false);
        }
        catch (PlanningFailedException ex)
        {
            throw new StepExecutionException(step.Id, $"Subgoal '{step.Id}' could not be broken down: {ex.Message}", isTransient: false, ex);
        }

        if (child is null)
        {
            return await _direct.ExecuteAsync(asAction, cancellationToken).ConfigureAwait(false);
        }

        var depth = _scope.Depth + 1;
        var events = _scope.Events;
        await events.EmitAsync(new SubplanCreated { Timestamp = events.Now, Progress = events.Progress, ParentStepId = step.Id, Depth = depth, Plan = child }).ConfigureAwait(false);
        var childScope = _scope.Child(inherited == "none" ? string.Empty : inherited);
        var result = await childScope.CreateExecutor().ExecuteAsync(
            child,
            onEvent: (e, _) => events.EmitAsync(new SubplanEvent { Timestamp = e.Timestamp, Progress = events.Progress, ParentStepId = step.Id, Depth = depth, Inner = e }),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (result.Status != PlanExecutionStatus.Completed)
        {
            throw new StepExecutionException(step.Id, $"The child plan of subgoal '{step.Id}' did not complete: {result.Error}", isTransient: false);
        }

        // The child's result is what its final steps (those nothing else depends on) produced.
        var needed = child.Steps.SelectMany(s => s.Dependencies).ToHashSet(StringComparer.Ordinal);
        var finals = child.Steps.Where(s => !needed.Contains(s.Id)).Select(s => s.Id).ToList();
        var output = finals.Count == 1
            ? result[finals[0]].Output ?? string.Empty
            : PromptText.Outputs(child, finals, result.Outputs, int.MaxValue);
        return new StepOutput(output);
    }
}
