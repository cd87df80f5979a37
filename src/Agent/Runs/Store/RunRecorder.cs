using System.Text;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Hands a run's events to its store, one write per event, except the answer's pieces: consecutive
/// <see cref="AnswerDelta"/>s are held and stored as one (their text joined, the time and progress
/// of the last) when any other event arrives, or once they hold <see cref="MaxBufferedChars"/>
/// characters. Every other event is stored before <see cref="RecordAsync"/> returns, after the
/// pieces held before it, so a step counts as completed only once its <see cref="StepCompleted"/>
/// is stored. Safe to call from several threads: writes happen one at a time, in call order.
/// </summary>
/// <remarks>
/// Pieces still held when a run stops without a further event (a crash) are not stored; the answer
/// they belonged to was not whole either.
/// </remarks>
public sealed class RunRecorder
{
    /// <summary>The default for <see cref="MaxBufferedChars"/>: 4096.</summary>
    public const int DefaultMaxBufferedChars = 4096;

    private readonly IRunStore _store;
    private readonly string _runId;
    private readonly Lock _lock = new();
    private readonly StringBuilder _pending = new();
    private AnswerDelta? _last;
    private Task _tail = Task.CompletedTask;

    /// <summary>Creates a recorder for one run.</summary>
    /// <param name="store">The store; the run must be owned by it.</param>
    /// <param name="runId">The run's id in the store.</param>
    /// <param name="maxBufferedChars">How many characters of answer pieces are held before they are stored anyway; at least 1.</param>
    public RunRecorder(IRunStore store, string runId, int maxBufferedChars = DefaultMaxBufferedChars)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBufferedChars, 1);
        _store = store;
        _runId = runId;
        MaxBufferedChars = maxBufferedChars;
    }

    /// <summary>How many characters of answer pieces are held before they are stored anyway.</summary>
    public int MaxBufferedChars { get; }

    /// <summary>
    /// Records an event: an <see cref="AnswerDelta"/> is held (and returns at once unless the held
    /// text reached <see cref="MaxBufferedChars"/>); any other event is stored, after the pieces
    /// held before it, before this returns.
    /// </summary>
    /// <exception cref="RunStoreException">The store failed or refused the write.</exception>
    public Task RecordAsync(ExecutionEvent executionEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        return InTurnAsync(
            async () =>
            {
                if (executionEvent is AnswerDelta delta)
                {
                    _pending.Append(delta.Text);
                    _last = delta;
                    if (_pending.Length < MaxBufferedChars)
                    {
                        return;
                    }
                }

                await StorePendingAsync(cancellationToken).ConfigureAwait(false);
                if (executionEvent is not AnswerDelta)
                {
                    await _store.AppendEventAsync(_runId, executionEvent, cancellationToken).ConfigureAwait(false);
                }
            });
    }

    /// <summary>Stores the answer pieces held, if any, as one <see cref="AnswerDelta"/>.</summary>
    /// <exception cref="RunStoreException">The store failed or refused the write.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default) =>
        InTurnAsync(() => StorePendingAsync(cancellationToken));

    private async Task StorePendingAsync(CancellationToken cancellationToken)
    {
        if (_last is not { } last)
        {
            return;
        }

        var merged = last with { Text = _pending.ToString() };
        _pending.Clear();
        _last = null;
        await _store.AppendEventAsync(_runId, merged, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="work"/> after every call before it has finished (an async lock that needs no disposal).</summary>
    private async Task InTurnAsync(Func<Task> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task before;
        lock (_lock)
        {
            before = _tail;
            _tail = done.Task;
        }

        try
        {
            await before.ConfigureAwait(false);
            await work().ConfigureAwait(false);
        }
        finally
        {
            done.SetResult();
        }
    }
}
