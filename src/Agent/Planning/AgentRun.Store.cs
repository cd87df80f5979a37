using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Planning;

/// <summary>The run's ownership of its stored record: the lease, and a store failure that halts the run.</summary>
internal sealed partial class AgentRun
{
    /// <summary>Cancelled when the store fails or the lease is lost: the run must stop.</summary>
    public CancellationToken Halted => _halt.Token;

    /// <summary>The store failure that stopped the run, or null.</summary>
    public RunStoreException? StoreFailure => Volatile.Read(ref _storeFailure);

    /// <summary>This run now owns <paramref name="runId"/> in the store: keep its lease alive.</summary>
    public void Own(string runId)
    {
        _runId = runId;
        _owning = true;
        _keeper = new RunLeaseKeeper(_agent.Store!, runId, _agent.Time, Fail);
    }

    /// <summary>Stops the heartbeat and gives up the lease (after the end is stored, or after a failure).</summary>
    public async Task EndAsync()
    {
        // Answer pieces still held (a run that broke off mid-answer) are stored before the lease goes.
        if (_recorder is { } recorder && StoreFailure is null)
        {
            try
            {
                await recorder.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (RunStoreException ex)
            {
                PlanningAgent.Log.StoreFailed(_agent.Logger, _runId ?? "(new)", ex.Message);
            }
        }

        if (_keeper is { } keeper)
        {
            _keeper = null;
            await keeper.DisposeAsync().ConfigureAwait(false);
        }

        if (_owning && _agent.Store is { } store && _runId is { } id)
        {
            _owning = false;
            await _agent.ReleaseQuietlyAsync(store, id).ConfigureAwait(false);
        }
    }

    /// <summary>The first store failure stops the run: no step starts after it, no later write is tried.</summary>
    private void Fail(RunStoreException failure)
    {
        if (Interlocked.CompareExchange(ref _storeFailure, failure, null) is null)
        {
            PlanningAgent.Log.StoreFailed(_agent.Logger, _runId ?? "(new)", failure.Message);

            // Not inline: the caller may be deep in a step or the lease timer.
            _ = _halt.CancelAsync();
        }
    }

    private void ThrowIfStoreFailed()
    {
        if (StoreFailure is { } failure)
        {
            throw failure.Again();
        }
    }

    private async Task StoreAsync(Func<Task> write)
    {
        ThrowIfStoreFailed();
        try
        {
            await write().ConfigureAwait(false);
        }
        catch (RunStoreException ex)
        {
            Fail(ex);
            throw;
        }
    }
}
