namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>plan_decompose</c>.</summary>
/// <param name="Goal">The overall goal of the run.</param>
/// <param name="Subgoal">The subgoal to expand.</param>
/// <param name="Context">Outputs of the subgoal's dependencies.</param>
/// <param name="Tools">The tools steps may call.</param>
/// <param name="Agents">The agent profiles steps may be assigned to.</param>
/// <param name="MaxSteps">The most child steps.</param>
/// <param name="Feedback">The <c>feedback</c> fragment after a rejected answer; empty on the first attempt.</param>
public sealed record PlanDecomposeInputs(string Goal, string Subgoal, string Context, string Tools, string Agents, int MaxSteps, string Feedback) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.PlanDecompose;
}
