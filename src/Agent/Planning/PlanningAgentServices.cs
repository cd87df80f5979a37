using Microsoft.Extensions.Logging;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The parts a <see cref="PlanningAgent"/> is made of. Every part is optional: a missing one is the
/// built-in default. With dependency injection, <c>services.AddPlansmith(…)</c> and its builder
/// fill this in; without it, set what you need and pass it to the agent.
/// </summary>
public sealed class PlanningAgentServices
{
    /// <summary>The prompts; loaded from <see cref="PlansmithOptions.PromptsDirectory"/> and the built-in set when null (and then owned by the agent).</summary>
    public PromptLibrary? Prompts { get; init; }

    /// <summary>Who approves plans; every plan is approved when null.</summary>
    public IPlanApprover? Approver { get; init; }

    /// <summary>Where runs are recorded for history, reports and resume; not recorded when null.</summary>
    public IRunStore? RunStore { get; init; }

    /// <summary>Makes and mends plans; the prompt-backed planner when null.</summary>
    public IPlanner? Planner { get; init; }

    /// <summary>Decides whether a goal needs a plan; the prompt-backed router when null.</summary>
    public IRouter? Router { get; init; }

    /// <summary>Writes the answer; the prompt-backed synthesizer when null.</summary>
    public ISynthesizer? Synthesizer { get; init; }

    /// <summary>Executors asked before the built-in ones, in order: the first whose <see cref="IStepExecutor.CanExecute"/> is true runs the step.</summary>
    public IReadOnlyList<IStepExecutor> StepExecutors { get; init; } = [];

    /// <summary>Whether the built-in tool, chat, verify and subgoal executors run the steps <see cref="StepExecutors"/> do not take (default true).</summary>
    public bool BuiltInStepExecutors { get; init; } = true;

    /// <summary>The clock; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; init; }

    /// <summary>Where to log; nowhere when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
