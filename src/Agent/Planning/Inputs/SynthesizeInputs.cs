namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>synthesize</c>.</summary>
/// <param name="Goal">The user's goal.</param>
/// <param name="Results">Each step's description and output (or why it has none).</param>
/// <param name="Notes">The <c>budget_note</c> or <c>failed_note</c> fragment when the run did not finish; empty otherwise.</param>
public sealed record SynthesizeInputs(string Goal, string Results, string Notes) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.Synthesize;
}
