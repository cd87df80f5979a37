using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.Hostile;
using static Plansmith.Agent.Tests.Runs.RunEvents;

namespace Plansmith.Agent.Tests.Runs;

/// <summary>The SQLite store's snapshot is the projection's fold of the events it stored.</summary>
public sealed class SqliteRunStoreProjectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-projection-").FullName;
    private readonly FakeTimeProvider _time = new(T0);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string StorePath => Path.Combine(_dir, "runs.db");

    private SqliteRunStore NewStore() => new(StorePath, new SqliteRunStoreOptions(), _time);

    [Fact]
    public async Task AppendEventAsync_ReplannedRun_SnapshotIsTheProjectionsFold()
    {
        var store = NewStore();
        var id = await store.CreateRunAsync(Info);
        var events = Replanned();

        foreach (var e in events)
        {
            await store.AppendEventAsync(id, e);
        }

        AssertSameState(RunProjection.Fold(RunProjection.Start(id, Info, T0), events), (await store.GetRunAsync(id))!);
    }

    [Fact]
    public async Task AppendEventAsync_ResumedRunWithStoreCallsBesideEvents_SnapshotIsTheProjectionsFold()
    {
        var store = NewStore();
        var id = await store.CreateRunAsync(Info);
        ExecutionEvent[] first =
        [
            new RunStarted { Timestamp = At(0), RunId = id, Goal = Info.Goal },
            new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 },
            Started("s1", 1),
            Completed("s1", 2, "notes", new TokenUsage(1, 5, 5)),
            Started("s2", 2),
        ];
        ExecutionEvent[] second =
        [
            new RunStarted { Timestamp = At(20), RunId = id, Goal = Info.Goal, Resumed = true },
            new RunResumed { Timestamp = At(20), RunId = id, CompletedSteps = ["s1"], Unverified = ["s2"], Warnings = [] },
            Started("s2", 21),
            Completed("s2", 22, "read"),
        ];
        foreach (var e in first)
        {
            await store.AppendEventAsync(id, e);
        }

        // The agent records a session's end by the store call, then by the event: counted once.
        await store.CompleteRunAsync(id, AgentRunStatus.Cancelled, string.Empty, "The run was cancelled.", new TokenUsage(2, 30, 3));
        var cancelled = Ended(AgentRunStatus.Cancelled, 3, string.Empty, new TokenUsage(2, 30, 3), "The run was cancelled.");
        await store.AppendEventAsync(id, cancelled);
        await store.ReleaseRunAsync(id);
        await store.ClaimRunAsync(id);
        await store.AppendEventAsync(id, second[0]);
        await store.MarkUnverifiedAsync(id, ["s2"]);
        foreach (var e in second[1..])
        {
            await store.AppendEventAsync(id, e);
        }

        var stored = (await store.GetRunAsync(id))!;
        var expected = RunProjection.Fold(RunProjection.Start(id, Info, T0), [.. first, cancelled, .. second]);
        AssertSameState(expected, stored);
        Assert.Equal(new TokenUsage(2, 30, 3), stored.Usage);
        Assert.True(stored.Steps.Single(s => s.StepId == "s2").Unverified);
        Assert.Equal((StoredRunStatus.Running, null), (stored.Status, stored.EndedAt));
    }

    [Fact]
    public async Task GetRunAsync_RunStoppedWaitingForApproval_AwaitsApproval()
    {
        var store = NewStore();
        var id = await store.CreateRunAsync(Info);
        await store.AppendEventAsync(id, new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 });
        await store.AppendEventAsync(id, new PlanApprovalRequested { Timestamp = At(1), Plan = First });

        Assert.True((await store.GetRunAsync(id))!.AwaitsApproval);
        await store.AppendEventAsync(id, new PlanApproved { Timestamp = At(2), Plan = First });
        Assert.False((await store.GetRunAsync(id))!.AwaitsApproval);
    }

    [Fact]
    public async Task GetRunAsync_StatusWordsAsEarlierVersionsWroteThem_ReadAsEnums()
    {
        var store = NewStore();
        var id = await store.CreateRunAsync(Info);
        await store.AppendEventAsync(id, Started("s1", 1));
        await store.ReleaseRunAsync(id);
        HostileStore.Sql(StorePath, $"UPDATE runs SET status = 'budgetexhausted' WHERE id = '{id}'; UPDATE steps SET status = 'skipped';");

        var run = (await NewStore().GetRunAsync(id))!;

        Assert.Equal(StoredRunStatus.BudgetExhausted, run.Status);
        Assert.Equal(StepStatus.Skipped, Assert.Single(run.Steps).Status);
        Assert.Equal(StoredRunStatus.BudgetExhausted, Assert.Single(await NewStore().ListRunsAsync()).Status);
    }

    [Fact]
    public async Task AppendEventAsync_StepRowWithAnUnknownStatus_IsDamagedErrorNotACrash()
    {
        var store = NewStore();
        var id = await store.CreateRunAsync(Info);
        await store.AppendEventAsync(id, Started("s1", 1));
        HostileStore.Sql(StorePath, "UPDATE steps SET status = 'halfway'");

        var write = await Assert.ThrowsAsync<RunStoreException>(() => store.AppendEventAsync(id, Completed("s1", 2, "done")));
        var read = await Assert.ThrowsAsync<RunStoreException>(() => store.GetRunAsync(id));

        Assert.Equal(RunStoreError.Damaged, write.Error);
        Assert.Contains($"The run store '{StorePath}' could not be written", write.Message, StringComparison.Ordinal);
        Assert.Contains("'halfway' is not a step status", write.Message, StringComparison.Ordinal);
        Assert.Equal(RunStoreError.Damaged, read.Error);
    }

    private static void AssertSameState(StoredRun expected, StoredRun stored)
    {
        Assert.Equal(RunHeader.Of(expected), RunHeader.Of(stored));
        Assert.Equal(expected.PlanVersions.Select(p => PlanJson.Serialize(p, indented: false)), stored.PlanVersions.Select(p => PlanJson.Serialize(p, indented: false)));
        Assert.Equal(expected.Steps, stored.Steps);
    }
}
