using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution;

public sealed class PlanExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Kernel _kernel = TestKernels.WithTestPlugins();

    private PlanExecutor Executor(IStepExecutor stepExecutor, PlanExecutorOptions? options = null, TimeProvider? time = null) =>
        new(_kernel, [stepExecutor], options ?? new PlanExecutorOptions { RetryBaseDelay = TimeSpan.Zero }, time);

    private static async Task<(PlanExecutionResult Result, List<ExecutionEvent> Events)> RunAsync(PlanExecutor executor, Plan plan, CancellationToken cancellationToken = default)
    {
        var events = new List<ExecutionEvent>();
        var result = await executor.ExecuteAsync(plan, onEvent: (e, _) => { events.Add(e); return ValueTask.CompletedTask; }, cancellationToken: cancellationToken);
        return (result, events);
    }

    [Fact]
    public async Task ExecuteAsync_LinearMode_RunsOneAtATimeInDependencyOrder()
    {
        var scripted = new ScriptedStepExecutor(async (ctx, ct) => { await Task.Yield(); return new StepOutput("out:" + ctx.Step.Id); });
        var plan = Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2"), Step("s4"));

        var (result, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxParallelism = 1 }), plan);

        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
        Assert.Equal(1, scripted.MaxConcurrency);
        Assert.True(scripted.StartSequence["s1"] < scripted.StartSequence["s2"]);
        Assert.True(scripted.EndSequence["s2"] < scripted.StartSequence["s3"]);
        Assert.Equal([1, 2, 3, 4], events.OfType<StepStarted>().Select(e => e.Ordinal));
        Assert.All(events.OfType<StepStarted>(), e => Assert.Equal(4, e.Total));
        Assert.Equal("out:s3", result["s3"].Output);
    }

    [Fact]
    public async Task ExecuteAsync_FanOutFanIn_RunsBranchesTogetherAndJoinSeesAllOutputs()
    {
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IReadOnlyDictionary<string, string>? seenByJoin = null;
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            if (ctx.Step.Id.StartsWith('b'))
            {
                // Each branch waits until all three are running: only a parallel executor gets past this.
                if (Interlocked.Increment(ref arrived) == 3)
                {
                    allArrived.SetResult();
                }

                await allArrived.Task.WaitAsync(Patience, ct);
            }

            if (ctx.Step.Id == "join")
            {
                seenByJoin = ctx.Outputs.ToDictionary();
            }

            return new StepOutput("out:" + ctx.Step.Id);
        });
        var plan = Of(Step("root"), Step("b1", "root"), Step("b2", "root"), Step("b3", "root"), Step("join", "b1", "b2", "b3"));

        var (result, _) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxParallelism = 3 }), plan);

        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
        Assert.Equal(3, scripted.MaxConcurrency);
        Assert.Equal(["b1", "b2", "b3", "root"], seenByJoin!.Keys.Order());
        Assert.True(new[] { "b1", "b2", "b3" }.All(b => scripted.EndSequence[b] < scripted.StartSequence["join"]));
    }

    [Fact]
    public async Task ExecuteAsync_DependentOfFastStep_StartsWhileUnrelatedSlowSiblingStillRuns()
    {
        // Waves would hold "fastChild" until the whole first wave (slow and fast) is done.
        var releaseSlow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fastChildStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowFinished = false;
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            switch (ctx.Step.Id)
            {
                case "slow":
                    await releaseSlow.Task.WaitAsync(ct);
                    slowFinished = true;
                    break;
                case "fastChild":
                    fastChildStarted.SetResult();
                    break;
            }

            return new StepOutput(ctx.Step.Id);
        });
        var plan = Of(Step("slow"), Step("fast"), Step("fastChild", "fast"), Step("after", "slow", "fastChild"));

        var run = Executor(scripted, new PlanExecutorOptions { MaxParallelism = 4 }).ExecuteAsync(plan);
        await fastChildStarted.Task.WaitAsync(Patience);

        Assert.False(slowFinished);
        Assert.False(run.IsCompleted);
        releaseSlow.SetResult();
        var result = await run.WaitAsync(Patience);
        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
        Assert.True(scripted.EndSequence["slow"] < scripted.StartSequence["after"]);
    }

    [Fact]
    public async Task ExecuteAsync_TransientFailures_AreRetriedUntilSuccess()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
            ctx.Attempt < 3 ? throw new HttpRequestException("503 from upstream") : Task.FromResult(new StepOutput("finally")));

        var (result, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.Zero }), Of(Step("s1")));

        Assert.Equal(StepStatus.Completed, result["s1"].Status);
        Assert.Equal(3, result["s1"].Attempts);
        Assert.Equal("finally", result["s1"].Output);
        var retries = events.OfType<StepRetrying>().ToList();
        Assert.Equal([1, 2], retries.Select(r => r.FailedAttempt));
        Assert.All(retries, r => Assert.Contains("503", r.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExecuteAsync_Backoff_DoublesTheDelayOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var scripted = new ScriptedStepExecutor((ctx, ct) => throw new HttpRequestException("busy"));
        var options = new PlanExecutorOptions { MaxRetries = 3, RetryBaseDelay = TimeSpan.FromSeconds(1), RetryMaxDelay = TimeSpan.FromSeconds(3), RetryJitter = 0 };
        var executor = Executor(scripted, options, time);
        var delays = new List<TimeSpan>();
        PlanExecutionResult? result = null;

        await foreach (var e in executor.ExecuteStreamingAsync(Of(Step("s1"))))
        {
            if (e is StepRetrying retrying)
            {
                delays.Add(retrying.Delay);
                Assert.Equal(retrying.FailedAttempt, scripted.AttemptsOf("s1"));
                time.Advance(retrying.Delay);
            }
            else if (e is PlanCompleted completed)
            {
                result = completed.Result;
            }
        }

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)], delays);
        Assert.Equal(StepStatus.Failed, result!["s1"].Status);
        Assert.Equal(4, result["s1"].Attempts);
    }

    [Fact]
    public async Task ExecuteAsync_PermanentFailure_IsNotRetried()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) => throw new StepExecutionException(ctx.Step.Id, "bad plan", isTransient: false));

        var (result, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxRetries = 5, RetryBaseDelay = TimeSpan.Zero }), Of(Step("s1")));

        Assert.Equal(1, scripted.AttemptsOf("s1"));
        Assert.Empty(events.OfType<StepRetrying>());
        Assert.Equal("bad plan", result["s1"].Error);
    }

    [Fact]
    public async Task ExecuteAsync_RetriesSpent_RunsFallbackWithSameId()
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 1, RetryBaseDelay = TimeSpan.Zero });
        var plan = Of(
            Step("s0") with { Tool = "text.echo", Arguments = Args("""{"text": "cached copy"}""") },
            Step("s1", "s0") with
            {
                Tool = "text.fail",
                Arguments = Args("""{"message": "primary down"}"""),
                Fallback = new StepFallback { Description = "use the cache", Tool = "text.upper", Arguments = Args("""{"text": "${s0}"}""") },
            },
            Step("s2", "s1") with { Tool = "text.echo", Arguments = Args("""{"text": "got ${s1}"}""") });

        var (result, events) = await RunAsync(executor, plan);

        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
        Assert.True(result["s1"].UsedFallback);
        Assert.Equal(3, result["s1"].Attempts);
        Assert.Equal("CACHED COPY", result["s1"].Output);
        Assert.Equal("got CACHED COPY", result["s2"].Output);
        var fallback = Assert.Single(events.OfType<StepFallbackStarted>());
        Assert.Contains("primary down", fallback.Error, StringComparison.Ordinal);
        Assert.True(events.OfType<StepCompleted>().Single(e => e.StepId == "s1").UsedFallback);
    }

    [Fact]
    public async Task ExecuteAsync_FallbackFailsToo_StepFailsWithBothErrors()
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 0 });
        var plan = Of(Step("s1") with
        {
            Tool = "text.fail",
            Arguments = Args("""{"message": "primary down"}"""),
            Fallback = new StepFallback { Description = "plan b", Tool = "text.fail", Arguments = Args("""{"message": "backup down"}""") },
        });

        var (result, _) = await RunAsync(executor, plan);

        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Contains("primary down", result["s1"].Error, StringComparison.Ordinal);
        Assert.Contains("backup down", result["s1"].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_FailedStep_SkipsItsDependentsAndKeepsIndependentWork()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
            ctx.Step.Id == "s1" ? throw new InvalidOperationException("disk full") : Task.FromResult(new StepOutput("ok")));
        var plan = Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2"), Step("s4"), Step("s5", "s4"));

        var (result, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxRetries = 0 }), plan);

        Assert.Equal(PlanExecutionStatus.Failed, result.Status);
        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Equal(StepStatus.Skipped, result["s2"].Status);
        Assert.Contains("'s1', which failed: disk full", result["s2"].Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Skipped, result["s3"].Status);
        Assert.Contains("'s2', which was skipped", result["s3"].Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Completed, result["s5"].Status);
        Assert.Equal(["s2", "s3"], events.OfType<StepSkipped>().Select(e => e.StepId));
        Assert.False(scripted.StartSequence.ContainsKey("s2"));
        Assert.Contains("1 step(s) failed (s1)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_StepTimeout_FailsTheAttemptOnTheInjectedClock()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new StepOutput("never");
        });
        var executor = Executor(scripted, new PlanExecutorOptions { StepTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 }, time);

        var run = executor.ExecuteAsync(Of(Step("s1")));
        await started.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(5));
        var result = await run.WaitAsync(Patience);

        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Contains("timed out after 00:00:05", result["s1"].Error, StringComparison.Ordinal);
        Assert.Contains("StepTimeout", result["s1"].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_StepIgnoringItsToken_StillTimesOut()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<StepOutput>();
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
        {
            started.TrySetResult();
            return never.Task;
        });
        var executor = Executor(scripted, new PlanExecutorOptions { StepTimeout = TimeSpan.FromSeconds(1), MaxRetries = 0 }, time);

        var run = executor.ExecuteAsync(Of(Step("s1"), Step("s2")));
        await started.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(1));
        var result = await run.WaitAsync(Patience);

        Assert.All(result.Steps, s => Assert.Equal(StepStatus.Failed, s.Status));
    }

    [Fact]
    public async Task ExecuteAsync_Cancelled_StopsRunningAndPendingStepsAndKeepsFinishedOutputs()
    {
        using var cts = new CancellationTokenSource();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            if (ctx.Step.Id == "s1")
            {
                blocking.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }

            return new StepOutput("done " + ctx.Step.Id);
        });
        var plan = Of(Step("s0"), Step("s1", "s0"), Step("s2", "s1"));

        var run = RunAsync(Executor(scripted), plan, cts.Token);
        await blocking.Task.WaitAsync(Patience);
        await cts.CancelAsync();
        var (result, events) = await run.WaitAsync(Patience);

        Assert.Equal(PlanExecutionStatus.Cancelled, result.Status);
        Assert.Equal("done s0", result["s0"].Output);
        Assert.Equal(StepStatus.Cancelled, result["s1"].Status);
        Assert.Equal(StepStatus.Cancelled, result["s2"].Status);
        Assert.IsType<PlanCompleted>(events[^1]);
        Assert.Empty(events.OfType<StepFailed>());
    }

    [Fact]
    public async Task ExecuteAsync_PluginThrows_StepFailsWithTheToolsMessageAfterRetries()
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.Zero });
        var plan = Of(Step("s1") with { Tool = "text.fail", Arguments = Args("""{"message": "quota exceeded"}""") });

        var (result, events) = await RunAsync(executor, plan);

        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Equal(3, result["s1"].Attempts);
        Assert.Contains("Tool 'text.fail' failed in step 's1': InvalidOperationException: quota exceeded", result["s1"].Error, StringComparison.Ordinal);
        Assert.Single(events.OfType<StepFailed>());
    }

    [Fact]
    public async Task ExecuteAsync_Cycle_FailsLoudlyNamingTheStuckSteps()
    {
        var scripted = new ScriptedStepExecutor();
        var plan = Of(Step("free"), Step("a", "b"), Step("b", "a"));

        var (result, events) = await RunAsync(Executor(scripted), plan);

        Assert.Equal(PlanExecutionStatus.Failed, result.Status);
        Assert.Equal(StepStatus.Completed, result["free"].Status);
        Assert.Contains("a waits for b; b waits for a", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, events.OfType<StepSkipped>().Count());
        Assert.All(result.Steps, s => Assert.True(s.Status.IsTerminal()));
    }

    [Fact]
    public async Task ExecuteAsync_UnknownDependency_IsRejectedBeforeAnythingRuns()
    {
        var scripted = new ScriptedStepExecutor();

        var ex = await Assert.ThrowsAsync<PlanValidationException>(() => Executor(scripted).ExecuteAsync(Of(Step("s1"), Step("s2", "ghost"))));

        Assert.Equal(PlanProblemCode.UnknownDependency, Assert.Single(ex.Problems).Code);
        Assert.Empty(scripted.Started);
    }

    [Fact]
    public async Task ExecuteAsync_PriorOutputs_AreNotRunAgainAndFeedDependents()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) => Task.FromResult(new StepOutput("saw " + string.Join(",", ctx.Outputs.Values.Order()))));
        var plan = Of(Step("s1"), Step("s2", "s1"));

        var result = await Executor(scripted).ExecuteAsync(plan, new Dictionary<string, string> { ["s1"] = "from before" });

        Assert.Equal(["s2"], scripted.Started);
        Assert.True(result["s1"].Restored);
        Assert.Equal("saw from before", result["s2"].Output);
    }

    [Fact]
    public async Task ExecuteAsync_StopOnFailure_CancelsTheRest()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
            ctx.Step.Id == "bad" ? throw new InvalidOperationException("boom") : Task.FromResult(new StepOutput("ok")));
        var plan = Of(Step("bad"), Step("later", "bad"), Step("other", "bad"));

        var (result, _) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxRetries = 0, StopOnFailure = true }), plan);

        Assert.Equal(PlanExecutionStatus.Failed, result.Status);
        Assert.Equal(StepStatus.Cancelled, result["later"].Status);
        Assert.Contains("StopOnFailure", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_StepWithoutMatchingExecutor_FailsWithAnActionableMessage()
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 3, RetryBaseDelay = TimeSpan.Zero });

        var (result, events) = await RunAsync(executor, Of(Step("think")));

        Assert.Equal(StepStatus.Failed, result["think"].Status);
        Assert.Contains("No step executor handles step 'think' (an action without a tool, which needs a model)", result["think"].Error, StringComparison.Ordinal);
        Assert.Empty(events.OfType<StepRetrying>());
    }

    [Fact]
    public async Task ExecuteAsync_Events_CarryProgressAndEndWithPlanCompleted()
    {
        var scripted = new ScriptedStepExecutor((ctx, ct) => Task.FromResult(new StepOutput(new string('x', 500))));
        var plan = Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2"), Step("s4", "s3"));

        var (result, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxParallelism = 1, OutputPreviewLength = 10 }), plan);

        var completed = events.OfType<StepCompleted>().ToList();
        Assert.Equal([25.0, 50.0, 75.0, 100.0], completed.Select(e => e.Progress.Percent));
        Assert.All(completed, e => Assert.Equal("xxxxxxxxxx…", e.OutputPreview));
        Assert.All(completed, e => Assert.NotNull(e.Progress.EstimatedRemaining));
        Assert.Equal(TimeSpan.Zero, completed[^1].Progress.EstimatedRemaining);
        Assert.Equal(4, events.OfType<StepStarted>().Count());
        var last = Assert.IsType<PlanCompleted>(events[^1]);
        Assert.Same(result, last.Result);
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Timestamp <= p.Second.Timestamp));
    }

    [Fact]
    public async Task ExecuteAsync_EstimatedRemaining_UsesObservedDurations()
    {
        var time = new FakeTimeProvider();
        var scripted = new ScriptedStepExecutor((ctx, ct) =>
        {
            time.Advance(TimeSpan.FromSeconds(10));
            return Task.FromResult(new StepOutput("ok"));
        });
        var plan = Of(Step("s1"), Step("s2", "s1"), Step("s3", "s2"));

        var (_, events) = await RunAsync(Executor(scripted, new PlanExecutorOptions { MaxParallelism = 1 }, time), plan);

        var first = events.OfType<StepCompleted>().First();
        Assert.Equal(TimeSpan.FromSeconds(10), first.Duration);
        Assert.Equal(TimeSpan.FromSeconds(20), first.Progress.EstimatedRemaining);
    }

    [Fact]
    public async Task ExecuteStreamingAsync_YieldsEventsInOrder()
    {
        var executor = Executor(new ScriptedStepExecutor());
        var kinds = new List<string>();

        await foreach (var e in executor.ExecuteStreamingAsync(Of(Step("s1"), Step("s2", "s1"))))
        {
            kinds.Add(e.GetType().Name + (e is StepStarted s ? ":" + s.StepId : e is StepCompleted c ? ":" + c.StepId : ""));
        }

        Assert.Equal(["StepStarted:s1", "StepCompleted:s1", "StepStarted:s2", "StepCompleted:s2", "PlanCompleted"], kinds);
    }

    [Fact]
    public async Task ExecuteStreamingAsync_LeavingEarly_CancelsTheRun()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult();
                throw;
            }

            return new StepOutput("never");
        });

        await foreach (var e in Executor(scripted).ExecuteStreamingAsync(Of(Step("s1"))))
        {
            if (e is StepStarted)
            {
                break;
            }
        }

        await cancelled.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task ExecuteAsync_ObserverThrows_ExceptionSurfacesAndWorkersStop()
    {
        var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new StepOutput("never");
        });
        var plan = Of(Step("s1"), Step("s2"));
        var seen = 0;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => Executor(scripted).ExecuteAsync(
            plan,
            onEvent: (e, _) => ++seen == 2 ? throw new InvalidOperationException("store is down") : ValueTask.CompletedTask)).WaitAsync(Patience);

        Assert.Equal("store is down", ex.Message);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PlanExecutor(_kernel, [], new PlanExecutorOptions { MaxParallelism = 0 }));

        Assert.Contains("MaxParallelism", ex.Message, StringComparison.Ordinal);
    }
}
