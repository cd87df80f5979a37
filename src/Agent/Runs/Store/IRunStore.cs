using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Where runs are recorded so that they can be listed, reported and resumed. Every write is
/// durable before the event it records is reported to anyone else.
/// </summary>
public interface IRunStore
{
    /// <summary>Records a new run and returns its id.</summary>
    Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default);

    /// <summary>Records one event of a run and what it changes (plan versions, step states).</summary>
    Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default);

    /// <summary>Marks steps whose effects are unknown after a crash (they were running and may have side effects).</summary>
    Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default);

    /// <summary>Records how a run (or a resumed part of it) ended.</summary>
    Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default);

    /// <summary>The stored run, or null when there is none with this id.</summary>
    Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Every run, newest first.</summary>
    Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>Deletes a run; false when there was none.</summary>
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

/// <summary>One line of the run history.</summary>
public sealed record RunSummary(string Id, string Goal, string Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long Tokens);

/// <summary>A stored run: enough to report it and to resume it.</summary>
public sealed record StoredRun
{
    /// <summary>The run's id.</summary>
    public required string Id { get; init; }

    /// <summary>What was known when it started.</summary>
    public required RunInfo Info { get; init; }

    /// <summary><c>running</c> until it ends (also after a crash), then the <see cref="AgentRunStatus"/> in lower case.</summary>
    public required string Status { get; init; }

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
}

/// <summary>A step's stored state.</summary>
public sealed record StoredStep(string StepId, string Status, string? Output, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Error, bool Unverified)
{
    /// <summary>Model calls and tokens the step spent.</summary>
    public TokenUsage Usage { get; init; }
}

/// <summary>A stored event.</summary>
public sealed record StoredEvent(long Sequence, string Type, DateTimeOffset At, string Json);

/// <summary>The store cannot be used: corrupt, locked, written by a newer Plansmith, or the run is unknown. Nothing was overwritten.</summary>
public sealed class RunStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RunStoreException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
