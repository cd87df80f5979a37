using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Where runs are recorded so that they can be listed, reported and resumed. Every write is
/// durable before the event it records is reported to anyone else. A live run has one owner: the
/// store that created or claimed it holds a lease on it, renews it while the run lasts and
/// releases it when the run ends; writes about a run fail once that store no longer owns it.
/// Failures are <see cref="RunStoreException"/>s naming the file, the cause and the fix.
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

    /// <summary>Records one event of a run and what it changes (plan versions, step states).</summary>
    Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default);

    /// <summary>Marks steps whose effects are unknown after a crash (they were running and may have side effects).</summary>
    Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default);

    /// <summary>Records how a run (or a resumed part of it) ended; the owner then releases the lease with <see cref="ReleaseRunAsync"/>.</summary>
    Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default);

    /// <summary>The stored run, or null when there is none with this id.</summary>
    Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Every run, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Deletes a run; false when there was none.</summary>
    /// <exception cref="RunStoreException">The run is live in some process (<see cref="RunStoreError.Owned"/>); nothing was deleted.</exception>
    Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default);
}

/// <summary>What is known of a run when it starts. Never holds a key.</summary>
/// <param name="Goal">The goal.</param>
/// <param name="Provider">The model in use, e.g. "gpt-4o-mini at https://…" (no key).</param>
/// <param name="OptionsJson">The run's options as JSON.</param>
/// <param name="PromptsFingerprint">Each prompt in use with a hash of its template (<c>name=hash;…</c>).</param>
/// <param name="ToolsFingerprint">A hash of the tools (names and parameters).</param>
/// <param name="ToolNames">The tools, to name differences on resume.</param>
public sealed record RunInfo(string Goal, string Provider, string OptionsJson, string PromptsFingerprint, string ToolsFingerprint, IReadOnlyList<string> ToolNames);

/// <summary>One line of the run history; <paramref name="Status"/> as in <see cref="StoredRun.Status"/>.</summary>
public sealed record RunSummary(string Id, string Goal, string Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long Tokens);

/// <summary>A stored run: enough to report it and to resume it.</summary>
public sealed record StoredRun
{
    /// <summary>The run's id.</summary>
    public required string Id { get; init; }

    /// <summary>What was known when it started.</summary>
    public required RunInfo Info { get; init; }

    /// <summary>
    /// <c>running</c> while its owner is live; <c>interrupted</c> when it was running but its
    /// owner is gone (lease lapsed, or process dead on this machine); else the
    /// <see cref="AgentRunStatus"/> it ended with, in lower case.
    /// </summary>
    public required string Status { get; init; }

    /// <summary>The live process that owns it, or null when none does.</summary>
    public RunOwner? Owner { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it last ended, or null.</summary>
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The answer, or empty.</summary>
    public string Answer { get; init; } = string.Empty;

    /// <summary>Why it did not complete, or null.</summary>
    public string? Error { get; init; }

    /// <summary>Model calls and tokens over every session of the run.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>Every plan version, first to last.</summary>
    public IReadOnlyList<Plan> PlanVersions { get; init; } = [];

    /// <summary>Each step's stored state.</summary>
    public IReadOnlyList<StoredStep> Steps { get; init; } = [];

    /// <summary>Every recorded event, in order, as stored JSON.</summary>
    public IReadOnlyList<StoredEvent> Events { get; init; } = [];

    /// <summary>
    /// Whether the run's last plan was put to the approver and never approved: it stopped while
    /// waiting for approval, so nothing of that plan may run until it is approved.
    /// </summary>
    public bool AwaitsApproval
    {
        get
        {
            var asked = -1;
            var approved = -1;
            for (var i = 0; i < Events.Count; i++)
            {
                switch (Events[i].Type)
                {
                    case nameof(PlanApprovalRequested):
                        asked = i;
                        break;
                    case nameof(PlanApproved):
                        approved = i;
                        break;
                }
            }

            return asked >= 0 && approved < asked;
        }
    }
}

/// <summary>A step's stored state.</summary>
public sealed record StoredStep(string StepId, string Status, string? Output, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error, bool Unverified)
{
    /// <summary>Model calls and tokens the step spent.</summary>
    public TokenUsage Usage { get; init; }
}

/// <summary>A stored event.</summary>
public sealed record StoredEvent(long Sequence, string Type, DateTimeOffset At, string Json);
