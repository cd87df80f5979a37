namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Where a stored run stands: <see cref="Running"/> while a session of it runs, then the
/// <see cref="AgentRunStatus"/> that session ended with. <see cref="Interrupted"/> is never stored:
/// a store reports it, when read, for a run stored as running whose owner is gone. In SQLite each
/// is the member's name in lower case (<c>running</c>, <c>budgetexhausted</c>, …).
/// </summary>
public enum StoredRunStatus
{
    /// <summary>A session of the run is under way (or was, and its owner is still live).</summary>
    Running,

    /// <summary>It was running, but its owner is gone (lease lapsed or process dead); it may be resumed.</summary>
    Interrupted,

    /// <summary>The plan ran to the end and the answer is written.</summary>
    Completed,

    /// <summary>The router answered at once, with no plan.</summary>
    Answered,

    /// <summary>Steps failed beyond what retries, fallbacks and replans could mend.</summary>
    Failed,

    /// <summary>A budget limit stopped the plan.</summary>
    BudgetExhausted,

    /// <summary>No valid plan could be made, or the plan was rejected at approval.</summary>
    Rejected,

    /// <summary>The run was cancelled.</summary>
    Cancelled,
}

/// <summary>Helpers over <see cref="StoredRunStatus"/>.</summary>
public static class StoredRunStatusExtensions
{
    /// <summary>The stored status of a run that ended with <paramref name="status"/>.</summary>
    public static StoredRunStatus ToStored(this AgentRunStatus status) => status switch
    {
        AgentRunStatus.Completed => StoredRunStatus.Completed,
        AgentRunStatus.Answered => StoredRunStatus.Answered,
        AgentRunStatus.Failed => StoredRunStatus.Failed,
        AgentRunStatus.BudgetExhausted => StoredRunStatus.BudgetExhausted,
        AgentRunStatus.Rejected => StoredRunStatus.Rejected,
        AgentRunStatus.Cancelled => StoredRunStatus.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Not a status a run ends with."),
    };

    /// <summary>Whether a run in this status is over for good: nothing of it is resumed.</summary>
    public static bool IsFinal(this StoredRunStatus status) =>
        status is StoredRunStatus.Completed or StoredRunStatus.Answered or StoredRunStatus.Rejected;
}
