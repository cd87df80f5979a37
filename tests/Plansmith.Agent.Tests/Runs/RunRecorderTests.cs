using Microsoft.Data.Sqlite;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;
using static Plansmith.Agent.Tests.Runs.RunEvents;

namespace Plansmith.Agent.Tests.Runs;

public sealed class RunRecorderTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-recorder-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task RecordAsync_ManyDeltasThenAnswerCompleted_StoresOneMergedDeltaBeforeIt()
    {
        var store = new RecordingStore();
        var recorder = new RunRecorder(store, "run-1");
        var pieces = Enumerable.Range(0, 50).Select(i => Delta($"piece {i}. ", i)).ToList();

        foreach (var piece in pieces)
        {
            await recorder.RecordAsync(piece);
        }

        Assert.Empty(store.Appended);
        await recorder.RecordAsync(new AnswerCompleted { Timestamp = At(60), Answer = "whole" });

        Assert.Collection(
            store.Appended,
            e =>
            {
                var merged = Assert.IsType<AnswerDelta>(e);
                Assert.Equal(string.Concat(pieces.Select(p => p.Text)), merged.Text);
                Assert.Equal(At(49), merged.Timestamp);
            },
            e => Assert.IsType<AnswerCompleted>(e));
    }

    [Fact]
    public async Task RecordAsync_StepCompletedAfterDeltas_IsStoredBeforeItReturns()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new RecordingStore { Gate = gate.Task };
        var recorder = new RunRecorder(store, "run-1");
        await recorder.RecordAsync(Delta("a", 1));
        await recorder.RecordAsync(Delta("b", 1));

        var recording = recorder.RecordAsync(Completed("s1", 2, "done"));
        await store.Entered.WaitAsync(Wait);

        Assert.False(recording.IsCompleted); // the merged pieces are not even stored yet
        gate.SetResult();
        await recording.WaitAsync(Wait);
        Assert.Equal(["ab", "done"], store.Appended.Select(e => e is AnswerDelta d ? d.Text : ((StepCompleted)e).Output));
        Assert.Equal(StepStatus.Completed, (await store.GetRunAsync("run-1"))!.Steps.Single().Status);
    }

    [Fact]
    public async Task RecordAsync_DeltasPastTheLimit_AreStoredWithoutWaitingForAnotherEvent()
    {
        var store = new RecordingStore();
        var recorder = new RunRecorder(store, "run-1", maxBufferedChars: 10);

        foreach (var piece in new[] { "1234", "5678", "9012", "34" })
        {
            await recorder.RecordAsync(Delta(piece, 1));
        }

        Assert.Equal("123456789012", Assert.IsType<AnswerDelta>(Assert.Single(store.Appended)).Text);
        await recorder.FlushAsync();
        Assert.Equal(["123456789012", "34"], store.Appended.Select(e => ((AnswerDelta)e).Text));
        Assert.Equal("12345678901234", (await store.GetRunAsync("run-1"))!.Answer);
    }

    [Fact]
    public async Task FlushAsync_NothingHeld_StoresNothing()
    {
        var store = new RecordingStore();
        var recorder = new RunRecorder(store, "run-1");
        await recorder.RecordAsync(Started("s1", 1));

        await recorder.FlushAsync();

        Assert.IsType<StepStarted>(Assert.Single(store.Appended));
    }

    [Fact]
    public async Task RecordAsync_CalledFromManyThreadsAtOnce_WritesOneAtATimeAndLosesNothing()
    {
        var store = new RecordingStore();
        var recorder = new RunRecorder(store, "run-1");

        await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => recorder.RecordAsync(Started("s" + i, 1))))).WaitAsync(Wait);

        Assert.Equal(1, store.MostAtOnce);
        Assert.Equal(64, store.Appended.Select(e => ((StepStarted)e).StepId).Distinct().Count());
    }

    [Fact]
    public async Task PlanningAgent_StreamedAnswer_IsStoredAsOneMergedDelta()
    {
        var answer = string.Join(" ", Enumerable.Range(1, 30).Select(i => $"word{i}"));
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { new { id = "s1", description = "Think", dependencies = Array.Empty<string>() } } })
            : new ModelReply(r.Prompt == "step_execute" ? "thought" : answer));
        var store = new SqliteRunStore(Path.Combine(_dir, "runs.db"));
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), runStore: store);

        var result = await agent.RunAsync("Think aloud");

        var stored = (await store.GetRunAsync(result.RunId!))!;
        Assert.True(result.Events.OfType<AnswerDelta>().Count() > 5, "the model did not stream the answer in pieces");
        var delta = Assert.Single(stored.Events, e => e.Type == nameof(AnswerDelta));
        Assert.Equal(answer, Assert.IsType<AnswerDelta>(EventJson.TryDeserialize(delta.Type, delta.Json)).Text);
        Assert.Equal([nameof(AnswerDelta), nameof(AnswerCompleted), nameof(RunCompleted)], stored.Events.Skip(stored.Events.Count - 3).Select(e => e.Type));
        Assert.Equal(answer, stored.Answer);
        Assert.Equal(StoredRunStatus.Completed, stored.Status);
    }

    [Fact]
    public void Constructor_LimitBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RunRecorder(new RecordingStore(), "run-1", maxBufferedChars: 0));
}
