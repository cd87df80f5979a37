using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// What the model-backed step executors of one run share: the goal, the gateway and planner,
/// the options, the event sink, and — for child plans — the depth and the context inherited from
/// the subgoal step.
/// </summary>
internal sealed class RunScope
{
    private readonly Func<RunScope, PlanExecutor> _createExecutor;

    public RunScope(
        string goal,
        ModelGateway gateway,
        PromptPlanner planner,
        PlansmithOptions options,
        RunEvents events,
        Func<RunScope, PlanExecutor> createExecutor,
        int depth = 0,
        string inheritedContext = "")
    {
        Goal = goal;
        Gateway = gateway;
        Planner = planner;
        Options = options;
        Events = events;
        _createExecutor = createExecutor;
        Depth = depth;
        InheritedContext = inheritedContext;
    }

    public string Goal { get; }

    public ModelGateway Gateway { get; }

    public PromptPlanner Planner { get; }

    public PlansmithOptions Options { get; }

    public RunEvents Events { get; }

    /// <summary>0 for the top-level plan, 1 for a child plan, and so on.</summary>
    public int Depth { get; }

    /// <summary>Results a child plan's steps may use: the outputs the subgoal step depended on.</summary>
    public string InheritedContext { get; }

    public PlanExecutor CreateExecutor() => _createExecutor(this);

    public RunScope Child(string inheritedContext) =>
        new(Goal, Gateway, Planner, Options, Events, _createExecutor, Depth + 1, inheritedContext);

    /// <summary>The outputs of the step's direct dependencies, plus any inherited context, as prompt text.</summary>
    public string ContextFor(StepContext context)
    {
        var own = PromptText.Outputs(context.Plan, context.Step.Dependencies, context.Outputs, Options.MaxOutputCharsInPrompt);
        if (InheritedContext.Length == 0)
        {
            return own;
        }

        return own == "none" ? InheritedContext : InheritedContext + "\n\n" + own;
    }

    /// <summary>The step's description with its references resolved; a bad reference fails the step for good.</summary>
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

    /// <summary>Runs a model call for a step, turning a spent budget into a permanent step failure.</summary>
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

    /// <summary>A kernel for one step: a clone with only the plugins the step's agent may call.</summary>
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
