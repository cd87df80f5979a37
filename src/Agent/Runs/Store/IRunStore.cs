namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Where runs are recorded so that they can be listed, reported and resumed. A store appends each
/// event and keeps a snapshot of the run's state current, as <see cref="RunProjection"/> folds the
/// events (it decides nothing itself). Every write is durable before the event it records is
/// reported to anyone else. A live run has one owner: the store that created or claimed it holds a
/// lease on it, renews it while the run lasts and releases it when the run ends; writes about a run
/// fail once that store no longer owns it. Failures are <see cref="RunStoreException"/>s naming the
/// file, the cause and the fix.
/// </summary>
public interface IRunStore
{
    /// <summary>How long a lease lasts without renewal; owners renew it every third of this.</summary>
    TimeSpan LeaseDuration { get; }

    /// <summary>Records a new run, owned by this store, and returns its id.</summary>
    Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes a stored run over to resume it: marks it running and owned by this store. Atomic: of
    /// two stores claiming the same run at once, one wins.
    /// </summary>
    /// <exception cref="RunStoreException">No such run, it already completed, or its owner is live (<see cref="RunStoreError.Owned"/>).</exception>
    Task ClaimRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Renews this store's lease on a run (the heartbeat).</summary>
    /// <exception cref="RunStoreException">The lease was lost (<see cref="RunStoreError.LeaseLost"/>), the run vanished, or the store failed.</exception>
    Task RenewLeaseAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Gives up this store's lease on a run when it ends; a run still marked running then reads as interrupted.</summary>
    Task ReleaseRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records one event of a run and, in the same transaction, what it changes in the run's state
    /// (<see cref="RunProjection.Apply"/>: plan versions, step states, status, answer, usage).
    /// </summary>
    Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks steps whose effects are unknown after a crash (they were running and may have side
    /// effects) ahead of the <see cref="RunResumed"/> event that says the same
    /// (<see cref="RunProjection.MarkUnverified"/>); recording both changes nothing more.
    /// </summary>
    Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records how a session of a run ended, ahead of the <see cref="RunCompleted"/> event that says
    /// the same (<see cref="RunProjection.Complete"/>: a session's usage counts once, however often
    /// its end is recorded); the owner then releases the lease with <see cref="ReleaseRunAsync"/>.
    /// </summary>
    Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default);

    /// <summary>The stored run, or null when there is none with this id.</summary>
    Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Every run, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Deletes a run; false when there was none.</summary>
    /// <exception cref="RunStoreException">The run is live in some process (<see cref="RunStoreError.Owned"/>); nothing was deleted.</exception>
    Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default);
}
