using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Execution;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution.Attempts;

public sealed class TimeoutStepExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ExecuteAsync_AttemptOutlivesTheTimeout_FailsWithTimeoutNamingTheSetting()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new FakeStepExecutor(async (_, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new StepOutput("never");
        });
        var layer = new TimeoutStepExecutor(inner, TimeSpan.FromSeconds(5), time);

        var attempt = layer.ExecuteAsync(AttemptContexts.For(Step("s1")).ForAttempt(2));
        await started.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(4));
        Assert.False(attempt.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        var ex = await Assert.ThrowsAsync<TimeoutException>(() => attempt).WaitAsync(Patience);

        Assert.Contains("Step 's1' timed out after 00:00:05 (attempt 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PlanExecutorOptions.StepTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecuteAsync_ExecutorIgnoresItsToken_StillTimesOut()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<StepOutput>();
        var inner = new FakeStepExecutor((_, _) =>
        {
            started.SetResult();
            return never.Task;
        });
        var layer = new TimeoutStepExecutor(inner, TimeSpan.FromSeconds(1), time);

        var attempt = layer.ExecuteAsync(AttemptContexts.For(Step("s1")));
        await started.Task.WaitAsync(Patience);
        time.Advance(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<TimeoutException>(() => attempt).WaitAsync(Patience);
    }

    [Fact]
    public async Task ExecuteAsync_RunCancelled_ThrowsCancellationNotTimeout()
    {
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new FakeStepExecutor(async (_, ct) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new StepOutput("never");
        });
        var layer = new TimeoutStepExecutor(inner, TimeSpan.FromSeconds(5), new FakeTimeProvider());

        var attempt = layer.ExecuteAsync(AttemptContexts.For(Step("s1")), cts.Token);
        await started.Task.WaitAsync(Patience);
        await cts.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt).WaitAsync(Patience);
        Assert.IsNotType<TimeoutException>(ex);
    }

    [Fact]
    public async Task ExecuteAsync_FinishesInTime_ReturnsTheOutput()
    {
        var inner = new FakeStepExecutor((ctx, _) => Task.FromResult(new StepOutput("out:" + ctx.Step.Id)));
        var layer = new TimeoutStepExecutor(inner, TimeSpan.FromMilliseconds(1), new FakeTimeProvider());

        var output = await layer.ExecuteAsync(AttemptContexts.For(Step("s1")));

        Assert.Equal("out:s1", output.Text);
    }
}
