using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>
/// Hostile cases for run ownership: a second resume or a delete of a live run, racing takeovers,
/// lapsed leases, dead owners, a long run's heartbeat, rows deleted under a running owner.
/// Two store objects on one file stand for two processes (each has its own owner id).
/// </summary>
public sealed class RunOwnershipTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-owner-").FullName;
    private readonly FakeTimeProvider _time = new(HostileStore.Start);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string StorePath => Path.Combine(_dir, "runs.db");

    private SqliteRunStore NewStore() => new(StorePath, new SqliteRunStoreOptions { LeaseDuration = TimeSpan.FromSeconds(30) }, _time);

    [Fact]
    public async Task Resume_RunLiveInAnotherProcess_IsRefusedAndNoStepRunsTwice()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var model = HostileStore.Gated(4, 2, entered, gate.Task, calls);
        var owner = NewStore();
        using var first = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), timeProvider: _time, runStore: owner);
        var running = first.RunAsync("Do four things");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await owner.ListRunsAsync()).Id;
        _time.Advance(TimeSpan.FromSeconds(3));

        using var second = new PlanningAgent(TestAgents.Kernel(model), HostileStore.LongOptions(), timeProvider: _time, runStore: NewStore());
        var refused = await Assert.ThrowsAsync<RunStoreException>(() => second.ResumeAsync(runId).WaitAsync(Wait));
        gate.SetResult();
        var result = await running.WaitAsync(Wait);

        Assert.Equal(RunStoreError.Owned, refused.Error);
        Assert.True(refused.IsRefusal);
        Assert.Equal($"Run '{runId}' is live in process {Environment.ProcessId} on host {Environment.MachineName} (last heartbeat 3 s ago); wait for it to end or stop that process.", refused.Message);
        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(4, HostileStore.Count(calls));
        var stored = (await NewStore().GetRunAsync(runId))!;
        Assert.Single(stored.Events, e => e.Type == nameof(RunCompleted));
        Assert.Equal(4, stored.Events.Count(e => e.Type == nameof(StepCompleted)));
        Assert.Equal(StoredRunStatus.Completed, stored.Status);
        Assert.Null(stored.Owner);
    }

    [Fact]
    public async Task Delete_RunLiveInAnotherProcess_IsRefusedAndTheOwnerFinishes()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var owner = NewStore();
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(3, 1, entered, gate.Task, calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: owner);
        var running = agent.RunAsync("Do three things");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await owner.ListRunsAsync()).Id;

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => NewStore().DeleteRunAsync(runId).WaitAsync(Wait));
        gate.SetResult();
        var result = await running.WaitAsync(Wait);

        Assert.Equal(RunStoreError.Owned, refused.Error);
        Assert.Contains("it was not deleted", refused.Message, StringComparison.Ordinal);
        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(3, HostileStore.Count(calls));
        Assert.True(await NewStore().DeleteRunAsync(runId)); // Once it has ended, it may go.
    }

    [Fact]
    public async Task Resume_SameRunTwiceInOneProcess_SecondIsRefused()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var store = NewStore();
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(2, 1, entered, gate.Task, calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: store);
        var running = agent.RunAsync("Do two things");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await store.ListRunsAsync()).Id;

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => agent.ResumeAsync(runId).WaitAsync(Wait));
        gate.SetResult();
        await running.WaitAsync(Wait);

        Assert.Equal(RunStoreError.Owned, refused.Error);
        Assert.Contains("already running in this process", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, HostileStore.Count(calls));
    }

    [Fact]
    public async Task Claim_BeforeAndAfterLeaseExpiry_RefusedThenTakenOverAndOldOwnerFenced()
    {
        var old = NewStore();
        var runId = await old.CreateRunAsync(HostileStore.Info());
        var taker = NewStore();

        _time.Advance(TimeSpan.FromSeconds(29));
        var early = await Assert.ThrowsAsync<RunStoreException>(() => taker.ClaimRunAsync(runId));
        Assert.Equal(StoredRunStatus.Running, (await taker.GetRunAsync(runId))!.Status);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(StoredRunStatus.Interrupted, (await taker.GetRunAsync(runId))!.Status);
        Assert.Equal(StoredRunStatus.Interrupted, Assert.Single(await taker.ListRunsAsync()).Status);
        await taker.ClaimRunAsync(runId);

        // The old owner wakes up (a paused process, say): none of its writes land.
        var lost = await Assert.ThrowsAsync<RunStoreException>(() => old.AppendEventAsync(runId, new StepStarted { Timestamp = _time.GetUtcNow(), StepId = "s1", Description = "late", Ordinal = 1, Total = 1 }));
        var renewLost = await Assert.ThrowsAsync<RunStoreException>(() => old.RenewLeaseAsync(runId));
        await Assert.ThrowsAsync<RunStoreException>(() => old.CompleteRunAsync(runId, AgentRunStatus.Completed, "late", null, default));

        Assert.Equal(RunStoreError.Owned, early.Error);
        Assert.Equal(RunStoreError.LeaseLost, lost.Error);
        Assert.Equal(RunStoreError.LeaseLost, renewLost.Error);
        Assert.Contains($"taken over by process {Environment.ProcessId}", lost.Message, StringComparison.Ordinal);
        var stored = (await taker.GetRunAsync(runId))!;
        Assert.Equal(StoredRunStatus.Running, stored.Status);
        Assert.Empty(stored.Events);
        Assert.Empty(stored.Steps);
    }

    [Fact]
    public async Task Claim_TwoProcessesRacingForALapsedRun_ExactlyOneWinsEachTime()
    {
        var creator = NewStore();
        var left = NewStore();
        var right = NewStore();
        for (var round = 0; round < 25; round++)
        {
            var runId = await creator.CreateRunAsync(HostileStore.Info($"race {round}"));
            _time.Advance(TimeSpan.FromSeconds(31));
            using var start = new ManualResetEventSlim();
            var claims = new[] { left, right }.Select(store => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await store.ClaimRunAsync(runId);
                    return (Won: true, Error: (RunStoreError?)null);
                }
                catch (RunStoreException ex)
                {
                    return (Won: false, Error: ex.Error);
                }
            })).ToArray();
            start.Set();
            var outcomes = await Task.WhenAll(claims).WaitAsync(Wait);

            Assert.Equal(1, outcomes.Count(o => o.Won));
            Assert.Equal(RunStoreError.Owned, Assert.Single(outcomes, o => !o.Won).Error);
        }
    }

    [Fact]
    public async Task Claim_OwnerProcessDeadOnThisMachine_TakesOverAtOnce()
    {
        var runId = await NewStore().CreateRunAsync(HostileStore.Info());
        var dead = HostileStore.DeadProcessId();
        HostileStore.Sql(StorePath, $"UPDATE runs SET owner_pid = {dead}, owner_id = 'gone/{dead}/abc' WHERE id = '{runId}'");
        var taker = NewStore();

        Assert.Equal(StoredRunStatus.Interrupted, (await taker.GetRunAsync(runId))!.Status);
        await taker.ClaimRunAsync(runId);

        Assert.Equal(StoredRunStatus.Running, (await NewStore().GetRunAsync(runId))!.Status);
    }

    [Fact]
    public async Task Claim_OwnerOnAnotherMachineWithTheSamePid_WaitsForTheLease()
    {
        // A dead pid means nothing on another machine (or pid namespace): only expiry frees the run.
        var runId = await NewStore().CreateRunAsync(HostileStore.Info());
        var dead = HostileStore.DeadProcessId();
        HostileStore.Sql(StorePath, $"UPDATE runs SET owner_pid = {dead}, owner_id = 'far/{dead}/abc', owner_host = 'far', owner_machine = 'far|other-boot' WHERE id = '{runId}'");
        var taker = NewStore();

        var refused = await Assert.ThrowsAsync<RunStoreException>(() => taker.ClaimRunAsync(runId));
        Assert.Contains($"process {dead} on host far", refused.Message, StringComparison.Ordinal);
        _time.Advance(TimeSpan.FromSeconds(31));
        await taker.ClaimRunAsync(runId);
    }

    [Fact]
    public async Task Claim_OwnerWithOurPidButNotFromThisProcess_IsAReusedPidAndGone()
    {
        var runId = await NewStore().CreateRunAsync(HostileStore.Info());
        HostileStore.Sql(StorePath, $"UPDATE runs SET owner_id = 'host/{Environment.ProcessId}/from-a-dead-process' WHERE id = '{runId}'");

        await NewStore().ClaimRunAsync(runId);
    }

    [Fact]
    public async Task Heartbeat_RunLongerThanManyLeases_StaysOwned()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var owner = new RenewalSignallingStore(NewStore());
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(2, 1, entered, gate.Task, calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: owner);
        var running = agent.RunAsync("Take a long time");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await owner.ListRunsAsync()).Id;
        var other = NewStore();

        // Ten minutes of fake time, twenty leases' worth: each beat renews it.
        for (var beat = 0; beat < 60; beat++)
        {
            _time.Advance(TimeSpan.FromSeconds(10));
            Assert.True(await owner.Renewed.WaitAsync(Wait), $"no renewal at beat {beat}");
        }

        var stored = (await other.GetRunAsync(runId))!;
        var refused = await Assert.ThrowsAsync<RunStoreException>(() => other.ClaimRunAsync(runId));
        gate.SetResult();
        var result = await running.WaitAsync(Wait);

        Assert.Equal(StoredRunStatus.Running, stored.Status);
        Assert.Equal(_time.GetUtcNow(), stored.Owner!.LastHeartbeat);
        Assert.Equal(RunStoreError.Owned, refused.Error);
        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, HostileStore.Count(calls));

        // Ended: the heartbeat stopped and the lease is released.
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null((await other.GetRunAsync(runId))!.Owner);
        Assert.Equal(0, owner.Renewed.CurrentCount);
    }

    [Fact]
    public async Task Run_LeaseTakenOverWhileRunning_StopsWithoutRunningMoreSteps()
    {
        // The owner's heartbeat cannot reach the store (a paused process, say); another process
        // takes the lapsed run over. The old owner must stop, not carry on beside it.
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var owner = NewStore();
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(4, 2, entered, gate.Task, calls)), HostileStore.LongOptions(), runStore: owner);
        var running = agent.RunAsync("Do four things");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await owner.ListRunsAsync()).Id;
        _time.Advance(TimeSpan.FromSeconds(31)); // The owner's clock is the system's: it does not renew in time.
        await NewStore().ClaimRunAsync(runId);

        gate.SetResult();
        var ex = await Assert.ThrowsAsync<RunStoreException>(() => running.WaitAsync(Wait));

        Assert.Equal(RunStoreError.LeaseLost, ex.Error);
        Assert.Equal(2, HostileStore.Count(calls)); // s1 and s2, nothing after the loss.
        var stored = (await NewStore().GetRunAsync(runId))!;
        Assert.Equal(StoredRunStatus.Running, stored.Status); // the new owner's
        Assert.DoesNotContain(stored.Steps, s => s.StepId == "s2" && s.Status == StepStatus.Completed);
    }

    [Fact]
    public async Task Run_RowsDeletedByHandWhileRunning_EndsWithVanishedError()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var owner = NewStore();
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(3, 2, entered, gate.Task, calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: owner);
        var running = agent.RunAsync("Do three things");
        await entered.Task.WaitAsync(Wait);
        var runId = Assert.Single(await owner.ListRunsAsync()).Id;
        HostileStore.Sql(StorePath, $"DELETE FROM runs WHERE id = '{runId}'"); // as an older Plansmith's 'runs delete' would

        gate.SetResult();
        var ex = await Assert.ThrowsAsync<RunStoreException>(() => running.WaitAsync(Wait));

        Assert.Equal(RunStoreError.Vanished, ex.Error);
        Assert.Contains($"Run '{runId}' is no longer in the run store '{StorePath}'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, HostileStore.Count(calls));
        Assert.Null(await owner.GetRunAsync(runId));
        Assert.Empty(await owner.ListRunsAsync()); // nothing half-written came back
    }

    [Fact]
    public async Task Run_CancelledMidway_ReleasesTheLeaseSoResumeNeedsNoWait()
    {
        using var cancel = new CancellationTokenSource();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = new Dictionary<string, int>();
        var store = NewStore();
        using var agent = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(3, 2, entered, Task.Delay(Timeout.Infinite, cancel.Token), calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: store);
        var running = agent.RunAsync("Do three things", cancellationToken: cancel.Token);
        await entered.Task.WaitAsync(Wait);
        await cancel.CancelAsync();
        var first = await running.WaitAsync(Wait);

        using var other = new PlanningAgent(TestAgents.Kernel(HostileStore.Gated(3, 99, new TaskCompletionSource(), Task.CompletedTask, calls)), HostileStore.LongOptions(), timeProvider: _time, runStore: NewStore());
        var resumed = await other.ResumeAsync(first.RunId!).WaitAsync(Wait);

        Assert.Equal(AgentRunStatus.Cancelled, first.Status);
        Assert.Equal(AgentRunStatus.Completed, resumed.Status);
        Assert.Equal(1, calls["s1"]);
    }
}
