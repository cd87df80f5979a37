namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>step_execute</c>.</summary>
/// <param name="Goal">The overall goal of the run.</param>
/// <param name="Step">What the step must do, with references resolved.</param>
/// <param name="Context">Outputs of the step's dependencies; <c>none</c> when there are none.</param>
/// <param name="Instructions">The agent profile's instructions; may be empty.</param>
public sealed record StepExecuteInputs(string Goal, string Step, string Context, string Instructions) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.StepExecute;
}
