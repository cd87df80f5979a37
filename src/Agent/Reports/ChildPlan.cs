using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>A subgoal step's child plan, with what each of its steps did and its own child plans.</summary>
internal sealed class ChildPlan
{
    public ChildPlan(string parentStepId, int depth, Plan plan)
    {
        ParentStepId = parentStepId;
        Depth = depth;
        Plan = plan;
    }

    public string ParentStepId { get; }

    public int Depth { get; }

    public Plan Plan { get; }

    public Dictionary<string, StoredStep> States { get; } = new(StringComparer.Ordinal);

    /// <summary>Child plans of this plan's own subgoal steps, by step id.</summary>
    public Dictionary<string, List<ChildPlan>> Children { get; } = new(StringComparer.Ordinal);

    public StoredStep StateOf(string stepId) => States.GetValueOrDefault(stepId) ?? StoredStep.Pending(stepId);

    public IReadOnlyList<ChildPlan> ChildrenOf(string stepId) => Children.TryGetValue(stepId, out var list) ? list : [];
}
