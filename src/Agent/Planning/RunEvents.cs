using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>One run's event sink: stamps planning events with the time and the latest progress. Thread-safe.</summary>
internal sealed class RunEvents
{
    private readonly Func<ExecutionEvent, ValueTask> _sink;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ExecutionProgress _progress;
    private List<ExecutionEvent>? _held;

    public RunEvents(Func<ExecutionEvent, ValueTask> sink, TimeProvider time)
    {
        _sink = sink;
        _time = time;
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    public ExecutionProgress Progress
    {
        get
        {
            lock (_lock)
            {
                return _progress;
            }
        }
    }

    /// <summary>From now on, events wait (in order) until <see cref="ReleaseAsync"/> or <see cref="Drop"/>.</summary>
    public void Hold()
    {
        lock (_lock)
        {
            _held ??= [];
        }
    }

    /// <summary>Emits the events held, in order (with any emitted meanwhile), and stops holding.</summary>
    public async ValueTask ReleaseAsync()
    {
        while (true)
        {
            List<ExecutionEvent> held;
            lock (_lock)
            {
                if (_held is not { Count: > 0 } pending)
                {
                    _held = null;
                    return;
                }

                // Events emitted while these go out join the next batch, so the order holds.
                held = pending;
                _held = [];
            }

            foreach (var e in held)
            {
                await EmitCoreAsync(e).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Forgets the events held, and stops holding.</summary>
    public void Drop()
    {
        lock (_lock)
        {
            _held = null;
        }
    }

    /// <summary>Emits an event now, ahead of any held ones.</summary>
    public ValueTask EmitAheadAsync(ExecutionEvent executionEvent) => EmitCoreAsync(executionEvent);

    public ValueTask EmitAsync(ExecutionEvent executionEvent)
    {
        lock (_lock)
        {
            if (_held is { } held)
            {
                held.Add(executionEvent);
                return ValueTask.CompletedTask;
            }
        }

        return EmitCoreAsync(executionEvent);
    }

    private ValueTask EmitCoreAsync(ExecutionEvent executionEvent)
    {
        if (executionEvent is not SubplanEvent)
        {
            lock (_lock)
            {
                _progress = executionEvent.Progress == default ? _progress : executionEvent.Progress;
            }
        }

        return _sink(executionEvent);
    }
}
