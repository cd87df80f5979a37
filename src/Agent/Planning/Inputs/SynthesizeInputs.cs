namespace Plansmith.Agent.Planning;

/// <summary>Inputs of <c>synthesize</c>.</summary>
/// <param name="Goal">The user's goal.</param>
/// <param name="Results">Each step's description and output (or why it has none).</param>
/// <param name="Notes">The <c>budget_note</c> or <c>failed_note</c> fragment when the run did not finish; empty otherwise.</param>
public sealed record SynthesizeInputs(string Goal, string Results, string Notes) : PromptInputs
{
    /// <inheritdoc />
    public override string Prompt => PromptNames.Synthesize;

    /// <summary>
    /// Whether the run ended partial, and how; not a template input. A writer that arranges the
    /// results rather than writing (the offline model) says this in its own words, so the note's
    /// instruction to a model never reaches the answer.
    /// </summary>
    public AnswerPartiality Partial { get; init; }

    /// <summary>Why the run ended partial (the budget reached, the steps that failed), or null; not a template input.</summary>
    public string? PartialReason { get; init; }
}

/// <summary>How complete the results behind an answer are.</summary>
public enum AnswerPartiality
{
    /// <summary>The plan finished.</summary>
    None,

    /// <summary>The plan was stopped before it finished (its budget ran out).</summary>
    Stopped,

    /// <summary>Some steps failed for good.</summary>
    StepsFailed,
}
