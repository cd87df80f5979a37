namespace Plansmith.Agent.Planning;

/// <summary>Inputs of the <c>budget_note</c> and <c>failed_note</c> fragments of <c>synthesize</c>.</summary>
/// <param name="Reason">Why the run did not finish.</param>
public sealed record SynthesizeNoteInputs(string Reason) : FragmentInputs
{
    /// <summary>The note for a run stopped by its budget.</summary>
    public const string BudgetNote = "budget_note";

    /// <summary>The note for a run with failed steps.</summary>
    public const string FailedNote = "failed_note";

    /// <summary>True for the budget note (the run was stopped), false for the failed note (steps failed).</summary>
    public bool Budget { get; init; }

    /// <inheritdoc />
    public override string Fragment => Budget ? BudgetNote : FailedNote;
}
