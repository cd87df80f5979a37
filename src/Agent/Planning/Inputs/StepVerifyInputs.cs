namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>step_verify</c>.</summary>
/// <param name="Goal">The overall goal of the run.</param>
/// <param name="Claim">The claim to check.</param>
/// <param name="Context">Outputs of the step's dependencies; <c>none</c> when there are none.</param>
public sealed record StepVerifyInputs(string Goal, string Claim, string Context) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.StepVerify;
}
