using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>One run's event sink: stamps planning events with the time and the latest progress. Thread-safe.</summary>
internal sealed class RunEvents
{
    private readonly Func<ExecutionEvent, ValueTask> _sink;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private ExecutionProgress _progress;

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

    public ValueTask EmitAsync(ExecutionEvent executionEvent)
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
