using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Tests.Runs;

/// <summary>
/// A run store that keeps appended events in memory, folded by the projection; each append can be
/// held at a gate, and it counts appends that overlap.
/// </summary>
internal sealed class RecordingStore : IRunStore
{
    private readonly Lock _lock = new();
    private readonly List<ExecutionEvent> _appended = [];
    private int _inside;

    /// <summary>When set, each append waits for it before it counts as stored.</summary>
    public Task? Gate { get; set; }

    /// <summary>Signalled when an append has begun (and waits at the gate, if any).</summary>
    public SemaphoreSlim Entered { get; } = new(0);

    /// <summary>The most appends that were under way at once.</summary>
    public int MostAtOnce { get; private set; }

    public IReadOnlyList<ExecutionEvent> Appended
    {
        get
        {
            lock (_lock)
            {
                return [.. _appended];
            }
        }
    }

    public TimeSpan LeaseDuration => TimeSpan.FromSeconds(30);

    public async Task AppendEventAsync(string runId, ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            MostAtOnce = Math.Max(MostAtOnce, ++_inside);
        }

        Entered.Release();
        try
        {
            if (Gate is { } gate)
            {
                await gate;
            }

            // Let another caller run here if anything allowed it to.
            await Task.Yield();
            lock (_lock)
            {
                _appended.Add(executionEvent);
            }
        }
        finally
        {
            lock (_lock)
            {
                _inside--;
            }
        }
    }

    public Task<string> CreateRunAsync(RunInfo info, CancellationToken cancellationToken = default) => Task.FromResult("run-1");

    public Task ClaimRunAsync(string runId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task RenewLeaseAsync(string runId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task ReleaseRunAsync(string runId, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task MarkUnverifiedAsync(string runId, IReadOnlyCollection<string> stepIds, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task CompleteRunAsync(string runId, AgentRunStatus status, string answer, string? failure, TokenUsage usage, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<StoredRun?> GetRunAsync(string runId, CancellationToken cancellationToken = default) =>
        Task.FromResult<StoredRun?>(RunProjection.Fold(RunEvents.Start(runId), Appended));

    public Task<IReadOnlyList<RunSummary>> ListRunsAsync(int limit = 100, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<RunSummary>>([]);

    public Task<bool> DeleteRunAsync(string runId, CancellationToken cancellationToken = default) => Task.FromResult(false);
}
