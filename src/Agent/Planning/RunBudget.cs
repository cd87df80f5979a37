using System.ComponentModel.DataAnnotations;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Limits on one run. They are checked before each model call; when one is reached no new step
/// starts and the answer is written from the results so far, saying so. The final answer's own
/// model call is always allowed, so a run that hits a limit still answers.
/// </summary>
public sealed class RunBudget
{
    /// <summary>The most model requests in one run, tool-calling round trips included. Default 60.</summary>
    [Range(1, 100_000)]
    public int MaxModelCalls { get; set; } = 60;

    /// <summary>The most tokens (input plus output) in one run. Default 400,000.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTokens { get; set; } = 400_000;

    /// <summary>The longest a run may take. Default 15 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxDuration { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>A run went past one of its <see cref="RunBudget"/> limits.</summary>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BudgetExceededException(string limit, string message)
        : base(message)
    {
        Limit = limit;
    }

    /// <summary>Which limit: <c>MaxModelCalls</c>, <c>MaxTokens</c> or <c>MaxDuration</c>.</summary>
    public string Limit { get; }
}
