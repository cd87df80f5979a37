namespace Plansmith.Agent.Planning;

/// <summary>Inputs of the <c>feedback</c> fragment of <c>plan_create</c>, <c>plan_revise</c> and <c>plan_decompose</c>.</summary>
/// <param name="Problems">What was wrong with the answer, one problem per line.</param>
/// <param name="PreviousAnswer">The rejected answer (shortened).</param>
public sealed record PlanFeedbackInputs(string Problems, string PreviousAnswer) : FragmentInputs
{
    /// <summary>The fragment's name.</summary>
    public const string Name = "feedback";

    /// <inheritdoc />
    public override string Fragment => Name;
}
