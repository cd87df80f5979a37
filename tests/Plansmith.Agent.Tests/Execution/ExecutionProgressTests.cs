using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution;

/// <summary>What a person watching a run is told: which step of how many, how much is done, how long is left.</summary>
public sealed class ExecutionProgressTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Kernel _kernel = TestKernels.WithTestPlugins();

    [Fact]
    public async Task ExecuteAsync_ResumedWithTwoStepsDone_FirstStepIsStepThreeOfSix()
    {
        var executor = new PlanExecutor(_kernel, [new ScriptedStepExecutor()], new PlanExecutorOptions { MaxParallelism = 1 });
        var plan = Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2"), Step("s4", "s3"), Step("s5", "s4"), Step("s6", "s5"));
        var events = new List<ExecutionEvent>();

        await executor.ExecuteAsync(plan, new Dictionary<string, string> { ["s1"] = "one", ["s2"] = "two" }, (e, _) => { events.Add(e); return ValueTask.CompletedTask; });

        var started = events.OfType<StepStarted>().ToList();
        Assert.Equal(["s3", "s4", "s5", "s6"], started.Select(s => s.StepId));
        Assert.Equal([3, 4, 5, 6], started.Select(s => s.Ordinal));
        Assert.All(started, s => Assert.Equal(6, s.Total));
        Assert.Equal(2, started[0].Progress.Finished);
    }

    [Fact]
    public async Task ExecuteAsync_LastStepRunning_EstimatedRemainingFallsWithElapsedTime()
    {
        var time = new FakeTimeProvider();
        var lastStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<StepOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
        {
            if (ctx.Step.Id == "s2")
            {
                lastStarted.TrySetResult();
                return release.Task;
            }

            time.Advance(TimeSpan.FromSeconds(10));
            return Task.FromResult(new StepOutput("ok"));
        });
        var executor = new PlanExecutor(_kernel, [scripted], new PlanExecutorOptions { MaxParallelism = 1, StepTimeout = TimeSpan.FromHours(1) }, time);
        var events = new List<ExecutionEvent>();
        var gate = new Lock();

        var run = executor.ExecuteAsync(Of(Step("s1"), Step("s2", "s1")), onEvent: (e, _) =>
        {
            lock (gate)
            {
                events.Add(e);
            }

            return ValueTask.CompletedTask;
        });
        await lastStarted.Task.WaitAsync(Patience);
        ExecutionProgress atStart;
        lock (gate)
        {
            atStart = events.OfType<StepStarted>().Single(s => s.StepId == "s2").Progress;
        }

        // s1 took 10 s, so s2 is expected to take 10 s: 4 s into it, 6 s are left.
        time.Advance(TimeSpan.FromSeconds(4));
        release.SetResult(new StepOutput("ok"));
        var result = await run.WaitAsync(Patience);

        Assert.Equal(TimeSpan.FromSeconds(10), atStart.EstimatedRemaining);
        Assert.Equal(TimeSpan.FromSeconds(6), atStart.After(TimeSpan.FromSeconds(4)).EstimatedRemaining);
        Assert.Equal(TimeSpan.Zero, atStart.After(TimeSpan.FromSeconds(30)).EstimatedRemaining);
        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
    }

    [Fact]
    public async Task ExecuteAsync_TwoStepsRunningForAWhile_EstimateSubtractsTheirElapsedTime()
    {
        var time = new FakeTimeProvider();
        var waiting = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<StepOutput>(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
        {
            if (ctx.Step.Id == "s1")
            {
                time.Advance(TimeSpan.FromSeconds(10));
                return Task.FromResult(new StepOutput("ok"));
            }

            if (Interlocked.Increment(ref waiting) == 2)
            {
                bothStarted.SetResult();
            }

            return release.Task;
        });
        var executor = new PlanExecutor(_kernel, [scripted], new PlanExecutorOptions { MaxParallelism = 2, StepTimeout = TimeSpan.FromHours(1) }, time);
        var events = new List<ExecutionEvent>();
        var gate = new Lock();

        // s1 first (10 s); then a and b together; c after them both.
        var run = executor.ExecuteAsync(Of(Step("s1"), Step("a", "s1"), Step("b", "s1"), Step("c", "a", "b")), onEvent: (e, _) =>
        {
            lock (gate)
            {
                events.Add(e);
            }

            return ValueTask.CompletedTask;
        });
        await bothStarted.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(4));
        release.SetResult(new StepOutput("ok"));
        await run.WaitAsync(Patience);

        // When the first of a and b finished (4 s in), steps take 7 s on average (10 s and 4 s):
        // the other has 3 s left and c 7 s, over two lanes: 5 s. Without the running step's
        // elapsed time it would be 7 s.
        var first = events.OfType<StepCompleted>().First(e => e.StepId is "a" or "b");
        Assert.Equal(TimeSpan.FromSeconds(5), first.Progress.EstimatedRemaining);
    }

    [Fact]
    public async Task ExecuteAsync_CancelledWhileAStepRuns_RunningStepIsNotCountedAsFinished()
    {
        using var cts = new CancellationTokenSource();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            if (ctx.Step.Id == "s2")
            {
                running.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }

            return new StepOutput("done");
        });
        var executor = new PlanExecutor(_kernel, [scripted], new PlanExecutorOptions { MaxParallelism = 1 });
        var events = new List<ExecutionEvent>();

        var run = executor.ExecuteAsync(Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2")), onEvent: (e, _) => { events.Add(e); return ValueTask.CompletedTask; }, cancellationToken: cts.Token);
        await running.Task.WaitAsync(Patience);
        await cts.CancelAsync();
        var result = await run.WaitAsync(Patience);

        Assert.Equal(PlanExecutionStatus.Cancelled, result.Status);
        var last = Assert.IsType<PlanCompleted>(events[^1]).Progress;
        Assert.Equal(1, last.Finished);
        Assert.Equal(1, last.Completed);
        Assert.Equal(100.0 / 3, last.Percent, precision: 6);
        Assert.Equal(StepStatus.Cancelled, result["s2"].Status);
    }

    [Fact]
    public void After_NoEstimateYet_KeepsItNullAndAddsTheTime()
    {
        var progress = new ExecutionProgress(3, 0, 0, 0, 0, 1, TimeSpan.FromSeconds(2), null);

        var later = progress.After(TimeSpan.FromSeconds(5));

        Assert.Null(later.EstimatedRemaining);
        Assert.Equal(TimeSpan.FromSeconds(7), later.Elapsed);
    }
}
