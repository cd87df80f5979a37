using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>What the model-backed step executors of one run (or one child plan of it) share.</summary>
internal sealed class RunScope
{
    private readonly Func<RunScope, PlanExecutor> _createExecutor;

    public RunScope(RunContext run, IPlanner planner, Func<RunScope, PlanExecutor> createExecutor, int depth = 0, string inheritedContext = "")
    {
        Run = run;
        Planner = planner;
        _createExecutor = createExecutor;
        Depth = depth;
        InheritedContext = inheritedContext;
    }

    public RunContext Run { get; }

    public string Goal => Run.Goal;

    public ModelGateway Gateway => Run.Gateway;

    public IPlanner Planner { get; }

    public PlansmithOptions Options => Run.Options;

    public RunEvents Events => Run.Events;

    /// <summary>How deep in subgoals this scope is: 0 for the run's own plan.</summary>
    public int Depth { get; }

    /// <summary>What a parent subgoal's dependencies produced, for the steps of its child plan.</summary>
    public string InheritedContext { get; }

    public PlanExecutor CreateExecutor() => _createExecutor(this);

    public RunScope Child(string inheritedContext) => new(Run, Planner, _createExecutor, Depth + 1, inheritedContext);

    /// <summary>The prompt text of what a step's dependencies produced (and what its parent subgoal inherited).</summary>
    public string ContextFor(StepContext context)
    {
        var own = PromptText.Outputs(context.Plan, context.Step.Dependencies, context.Outputs, Options.MaxOutputCharsInPrompt);
        if (InheritedContext.Length == 0)
        {
            return own;
        }

        return own == "none" ? InheritedContext : InheritedContext + "\n\n" + own;
    }

    public static string Describe(StepContext context)
    {
        try
        {
            return ReferenceResolver.ResolveText(context.Step.Description, context.Outputs);
        }
        catch (ReferenceResolutionException ex)
        {
            throw new StepExecutionException(context.Step.Id, $"Step '{context.Step.Id}', description: {ex.Message}", isTransient: false, ex);
        }
    }

    public static async Task<T> GuardAsync<T>(string stepId, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (BudgetExceededException ex)
        {
            throw new StepExecutionException(stepId, $"Step '{stepId}' was not done: {ex.Message}.", isTransient: false, ex);
        }
    }

    public static Kernel KernelFor(Kernel kernel, IList<string>? allowedPlugins)
    {
        var clone = kernel.Clone();
        if (allowedPlugins is not null)
        {
            var keep = clone.Plugins.Where(p => allowedPlugins.Contains(p.Name, StringComparer.OrdinalIgnoreCase)).ToList();
            clone.Plugins.Clear();
            clone.Plugins.AddRange(keep);
        }

        return clone;
    }
}
