using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Keeps a run's counts and timings and turns them into the <see cref="ExecutionProgress"/> each
/// event carries: how many steps are done, how long the run has taken and how long is left. The
/// scheduler's loop alone calls it, so it needs no locks.
/// </summary>
/// <remarks>
/// The time left assumes each step still to do takes the mean of those finished so far, less what
/// a running step has already spent, spread over the lanes <see cref="PlanExecutorOptions.MaxParallelism"/>
/// allows. A step cancelled with the run did not finish and counts neither as done nor as to do.
/// </remarks>
internal sealed class ExecutionProgressTracker
{
    private readonly int _total;
    private readonly int _maxParallelism;
    private readonly TimeProvider _time;
    private readonly Dictionary<int, DateTimeOffset> _running = [];
    private long _startTimestamp;
    private int _finished;
    private int _completed;
    private int _failed;
    private int _skipped;
    private int _cancelled;
    private int _timed;
    private TimeSpan _timedTotal;
    private bool _over;

    public ExecutionProgressTracker(int total, int maxParallelism, TimeProvider time)
    {
        _total = total;
        _maxParallelism = maxParallelism;
        _time = time;
    }

    /// <summary>Steps that came to an end: completed, failed or skipped.</summary>
    public int Finished => _finished;

    /// <summary>Steps completed with an output.</summary>
    public int Completed => _completed;

    /// <summary>Steps skipped because a dependency did not complete.</summary>
    public int Skipped => _skipped;

    /// <summary>Steps running now.</summary>
    public int Running => _running.Count;

    /// <summary>The run starts now: elapsed time counts from here.</summary>
    public void Start() => _startTimestamp = _time.GetTimestamp();

    /// <summary>A step completed in an earlier run: it is done, but says nothing about how long steps take.</summary>
    public void MarkRestored()
    {
        _finished++;
        _completed++;
    }

    public void MarkRunning(int index, DateTimeOffset at) => _running.Add(index, at);

    public void MarkCompleted(int index, TimeSpan duration)
    {
        _running.Remove(index);
        _finished++;
        _completed++;
        Timed(duration);
    }

    public void MarkFailed(int index, TimeSpan duration)
    {
        _running.Remove(index);
        _finished++;
        _failed++;
        Timed(duration);
    }

    public void MarkCancelled(int index)
    {
        _running.Remove(index);
        _cancelled++;
    }

    public void MarkSkipped()
    {
        _finished++;
        _skipped++;
    }

    /// <summary>The run is over: nothing is left, once anything has been timed.</summary>
    public void End() => _over = true;

    public ExecutionProgress Snapshot()
    {
        var elapsed = _time.GetElapsedTime(_startTimestamp);
        TimeSpan? remaining = null;
        if (_over)
        {
            remaining = _timed > 0 ? TimeSpan.Zero : null;
        }
        else if (_timed > 0)
        {
            // Each step still to do is expected to take the mean of those done so far; a running
            // step has used part of that already, so the estimate falls while it runs.
            var mean = _timedTotal.Ticks / _timed;
            var now = _time.GetUtcNow();
            var pending = Math.Max(0, _total - _finished - _cancelled - _running.Count);
            var work = pending * mean;
            foreach (var startedAt in _running.Values)
            {
                work += Math.Max(0, mean - (now - startedAt).Ticks);
            }

            var left = pending + _running.Count;
            var lanes = Math.Max(1, Math.Min(_maxParallelism, left));
            remaining = TimeSpan.FromTicks(work / lanes);
        }

        return new ExecutionProgress(_total, _finished, _completed, _failed, _skipped, _running.Count, elapsed, remaining);
    }

    private void Timed(TimeSpan duration)
    {
        _timed++;
        _timedTotal += duration;
    }
}
