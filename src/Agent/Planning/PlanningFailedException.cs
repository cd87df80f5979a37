using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>The model did not produce a valid plan within the allowed attempts.</summary>
public sealed class PlanningFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PlanningFailedException(string prompt, int attempts, IReadOnlyList<PlanProblem> problems)
        : base($"No valid plan after {attempts} attempt(s) of '{prompt}'. Last problems:\n- {string.Join("\n- ", problems)}\nA stronger model, a clearer goal or a higher MaxPlanAttempts may help.")
    {
        Prompt = prompt;
        Problems = problems;
    }

    /// <summary>The prompt that failed.</summary>
    public string Prompt { get; }

    /// <summary>The problems of the last attempt.</summary>
    public IReadOnlyList<PlanProblem> Problems { get; }
}
