namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>plan_reflect</c>.</summary>
/// <param name="Goal">The user's goal.</param>
/// <param name="Plan">The plan as JSON in the plan contract.</param>
/// <param name="Tools">The tools steps may call.</param>
/// <param name="Agents">The agent profiles steps may be assigned to.</param>
/// <param name="MaxSteps">The most steps the plan may have.</param>
public sealed record PlanReflectInputs(string Goal, string Plan, string Tools, string Agents, int MaxSteps) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.PlanReflect;
}
