namespace Plansmith.Agent.Planning;

/// <summary>Inputs of the <c>feedback</c> fragment of <c>analyze_code</c>.</summary>
/// <param name="Attempt">Which attempt failed.</param>
/// <param name="MaxAttempts">How many attempts there are.</param>
/// <param name="Language">The program's language.</param>
/// <param name="Program">The program that failed.</param>
/// <param name="LimitHit">The sandbox limit it hit, or <c>none</c>.</param>
/// <param name="ExitCode">Its exit code.</param>
/// <param name="Output">What it printed to standard output; <c>nothing</c> when it printed nothing.</param>
/// <param name="Errors">The end of its error output.</param>
public sealed record AnalyzeFeedbackInputs(int Attempt, int MaxAttempts, string Language, string Program, string LimitHit, int ExitCode, string Output, string Errors) : FragmentInputs
{
    /// <summary>The fragment's name.</summary>
    public const string Name = "feedback";

    /// <inheritdoc />
    public override string Fragment => Name;
}
