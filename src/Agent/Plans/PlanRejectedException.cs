using System.Text;

namespace Plansmith.Agent.Plans;

/// <summary>
/// A plan could not be used. <see cref="Problems"/> lists every problem found, not just the first,
/// so that one round trip to the planner can fix them all.
/// </summary>
public abstract class PlanRejectedException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    protected PlanRejectedException(string summary, IReadOnlyList<PlanProblem> problems, Exception? innerException = null)
        : base(Format(summary, problems), innerException)
    {
        Problems = problems;
    }

    /// <summary>Every problem found, in plan order.</summary>
    public IReadOnlyList<PlanProblem> Problems { get; }

    /// <summary>The problems as a bullet list, ready to put in a prompt that asks for a corrected plan.</summary>
    public string ProblemList => string.Join('\n', Problems.Select(p => "- " + p));

    private static string Format(string summary, IReadOnlyList<PlanProblem> problems)
    {
        var text = new StringBuilder(summary);
        text.Append(" (").Append(problems.Count).Append(problems.Count == 1 ? " problem):" : " problems):");
        foreach (var problem in problems)
        {
            text.Append('\n').Append("- ").Append(problem);
        }

        return text.ToString();
    }
}

/// <summary>Model output could not be read as a plan at all.</summary>
public sealed class PlanParseException : PlanRejectedException
{
    /// <summary>Creates the exception from the problems found.</summary>
    public PlanParseException(IReadOnlyList<PlanProblem> problems, Exception? innerException = null)
        : base("The text could not be read as a plan", problems, innerException)
    {
    }
}

/// <summary>A parsed plan broke the plan contract.</summary>
public sealed class PlanValidationException : PlanRejectedException
{
    /// <summary>Creates the exception from the problems found.</summary>
    public PlanValidationException(IReadOnlyList<PlanProblem> problems)
        : base("The plan is not valid", problems)
    {
    }
}
