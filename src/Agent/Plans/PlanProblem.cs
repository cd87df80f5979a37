namespace Plansmith.Agent.Plans;

/// <summary>
/// One reason a plan was rejected, worded so that a planner model reading it can fix the plan.
/// </summary>
/// <param name="Code">The kind of problem.</param>
/// <param name="StepId">The step at fault, or null when the problem concerns the whole plan.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record PlanProblem(PlanProblemCode Code, string? StepId, string Message)
{
    /// <inheritdoc />
    public override string ToString() => StepId is null ? Message : $"step '{StepId}': {Message}";
}
