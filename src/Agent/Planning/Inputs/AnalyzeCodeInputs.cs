namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>analyze_code</c>.</summary>
/// <param name="Language">The language to write: python or javascript.</param>
/// <param name="Question">What to find out.</param>
/// <param name="Data">The start of the data (the program gets all of it in DATA).</param>
/// <param name="Feedback">The <c>feedback</c> fragment after a failed program; empty at first.</param>
public sealed record AnalyzeCodeInputs(string Language, string Question, string Data, string Feedback) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.AnalyzeCode;
}
