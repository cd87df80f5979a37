namespace Plansmith.Agent.Execution;

/// <summary>
/// The clock the retry layer gives Polly: the executor's own, plus one thing. Polly raises
/// <c>OnRetry</c> before it starts the wait between attempts; a report sent from there could reach
/// someone who moves a fake clock on hearing it before the wait exists, and the wait would then
/// never end. So the retry layer holds the report in the step's <see cref="Scope"/>
/// (<see cref="Scope.HoldUntilWaitBegins"/>) and it goes out the moment Polly creates the wait's timer.
/// </summary>
/// <remarks>
/// Only Polly's retry strategy creates timers on this clock. Which step a timer belongs to is known
/// through the async flow: the retry layer opens a <see cref="Scope"/> around each step's attempts,
/// and Polly starts the wait in that same flow.
/// </remarks>
internal sealed class RetryClock : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly AsyncLocal<Scope?> _current = new();

    public RetryClock(TimeProvider inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = _inner.CreateTimer(callback, state, dueTime, period);
        _current.Value?.Release();
        return timer;
    }

    /// <summary>Opens the scope of one step's attempts in the current async flow; dispose it when they are over.</summary>
    public Scope Open()
    {
        var scope = new Scope(this, _current.Value);
        _current.Value = scope;
        return scope;
    }

    /// <summary>The attempts of one step.</summary>
    internal sealed class Scope : IDisposable
    {
        private readonly RetryClock _clock;
        private readonly Scope? _outer;
        private Action? _held;

        public Scope(RetryClock clock, Scope? outer)
        {
            _clock = clock;
            _outer = outer;
        }

        /// <summary>
        /// Sends <paramref name="report"/> when the next wait begins, or at the latest when the next
        /// attempt starts (a wait under a millisecond makes no timer). A report still held when the
        /// scope ends, because the run was cancelled before the wait began, is dropped.
        /// </summary>
        public void HoldUntilWaitBegins(Action report) => _held = report;

        /// <summary>Sends the held report, if any.</summary>
        public void Release()
        {
            var report = _held;
            _held = null;
            report?.Invoke();
        }

        public void Dispose()
        {
            _held = null;
            _clock._current.Value = _outer;
        }
    }
}
