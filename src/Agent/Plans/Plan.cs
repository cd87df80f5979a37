namespace Plansmith.Agent.Plans;

/// <summary>
/// A goal broken into steps with dependencies. A plan is a value: revising it makes a new plan.
/// <see cref="PlanJson"/> writes it in the contract's canonical form and reads that form back;
/// <see cref="PlanValidator"/> checks it before it runs.
/// </summary>
public sealed record Plan
{
    /// <summary>Creates a plan from its steps.</summary>
    public Plan(IReadOnlyList<PlanStep> steps, string? goal = null)
    {
        ArgumentNullException.ThrowIfNull(steps);
        Steps = steps;
        Goal = goal;
    }

    /// <summary>The goal the plan serves, when known.</summary>
    public string? Goal { get; init; }

    /// <summary>The steps, in the order the planner wrote them.</summary>
    public IReadOnlyList<PlanStep> Steps { get; init; }

    /// <summary>The step with this id, or null.</summary>
    public PlanStep? FindStep(string id)
    {
        foreach (var step in Steps)
        {
            if (string.Equals(step.Id, id, StringComparison.Ordinal))
            {
                return step;
            }
        }

        return null;
    }
}
