namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>plan_create</c>.</summary>
/// <param name="Goal">The user's goal.</param>
/// <param name="Tools">The tools steps may call, one per line with description and parameters; <c>none</c> when there are none.</param>
/// <param name="Agents">The agent profiles steps may be assigned to, one per line; <c>none</c> when there are none.</param>
/// <param name="MaxSteps">The most steps the plan may have.</param>
/// <param name="Context">Earlier conversation or other background; may be empty.</param>
/// <param name="Feedback">The <c>feedback</c> fragment after a rejected answer; empty on the first attempt.</param>
public sealed record PlanCreateInputs(string Goal, string Tools, string Agents, int MaxSteps, string Context, string Feedback) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.PlanCreate;
}
