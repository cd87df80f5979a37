namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>plan_revise</c>.</summary>
/// <param name="Goal">The user's goal.</param>
/// <param name="Plan">The current plan as JSON.</param>
/// <param name="Completed">Completed steps with their (shortened) results.</param>
/// <param name="FailedStep">The step that failed, as JSON.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="Tools">The tools steps may call.</param>
/// <param name="Agents">The agent profiles steps may be assigned to.</param>
/// <param name="MaxSteps">The most steps the merged plan may have.</param>
/// <param name="Feedback">The <c>feedback</c> fragment after a rejected answer; empty on the first attempt.</param>
public sealed record PlanReviseInputs(string Goal, string Plan, string Completed, string FailedStep, string Error, string Tools, string Agents, int MaxSteps, string Feedback) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.PlanRevise;
}
