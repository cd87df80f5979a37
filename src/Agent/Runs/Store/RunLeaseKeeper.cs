namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// Renews a run's lease every third of the store's lease duration on a <see cref="TimeProvider"/>
/// timer, one renewal at a time. When a renewal fails (lease taken over, run deleted, store
/// broken) it reports the failure once and stops renewing: the run must stop.
/// </summary>
internal sealed class RunLeaseKeeper : IAsyncDisposable
{
    private readonly IRunStore _store;
    private readonly string _runId;
    private readonly Action<RunStoreException> _lost;
    private readonly ITimer _timer;
    private readonly Lock _lock = new();
    private Task _renewing = Task.CompletedTask;
    private bool _stopped;
    private bool _running;
    private bool _again;

    public RunLeaseKeeper(IRunStore store, string runId, TimeProvider time, Action<RunStoreException> lost)
    {
        _store = store;
        _runId = runId;
        _lost = lost;
        var period = store.LeaseDuration / 3;
        _timer = time.CreateTimer(_ => Beat(), null, period, period);
    }

    public async ValueTask DisposeAsync()
    {
        Task renewing;
        lock (_lock)
        {
            _stopped = true;
            renewing = _renewing;
        }

        await _timer.DisposeAsync().ConfigureAwait(false);
        await renewing.ConfigureAwait(false);
    }

    private void Beat()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            // A renewal still under way (a slow disk, a busy store) is not doubled up: it renews
            // once more when it is done.
            if (_running)
            {
                _again = true;
                return;
            }

            _running = true;
            _renewing = RenewAsync();
        }
    }

    private async Task RenewAsync()
    {
        await Task.Yield();
        while (true)
        {
            try
            {
                await _store.RenewLeaseAsync(_runId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (RunStoreException ex)
            {
                Stop(ex);
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A store that breaks its contract still must not leave the run unowned and running.
                Stop(new RunStoreException($"The lease on run '{_runId}' could not be renewed: {ex.Message}", RunStoreError.Failed, null, ex));
                return;
            }

            lock (_lock)
            {
                if (_stopped || !_again)
                {
                    _running = false;
                    return;
                }

                _again = false;
            }
        }
    }

    private void Stop(RunStoreException failure)
    {
        lock (_lock)
        {
            _running = false;
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _lost(failure);
    }
}
