using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution.Attempts;

/// <summary>The layers together, as the scheduler's worker runs a step through them.</summary>
public sealed class StepAttemptPipelineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static async Task<List<WorkerMessage>> RunAsync(IStepExecutor executor, PlanStep step, PlanExecutorOptions options, CancellationToken cancellationToken = default)
    {
        var pipeline = StepAttemptPipeline.Create([executor], options, new FakeTimeProvider(), new FixedRandom(0.5));
        var inbox = Channel.CreateUnbounded<WorkerMessage>();
        var worker = new StepWorker(0, inbox.Writer);
        await worker.RunAsync(pipeline, AttemptContexts.For(step, worker), cancellationToken).WaitAsync(Patience, CancellationToken.None);
        var messages = new List<WorkerMessage>();
        while (inbox.Reader.TryRead(out var message))
        {
            messages.Add(message);
        }

        return messages;
    }

    [Fact]
    public async Task Create_RetriesSpent_RunsTheFallbackAndTheStepIsMarkedUsedFallback()
    {
        var inner = new FakeStepExecutor((ctx, _) => ctx.IsFallback ? Task.FromResult(new StepOutput("plan b")) : throw new HttpRequestException("503"));
        var step = Step("s1") with { Fallback = new StepFallback { Description = "plan b" } };

        var messages = await RunAsync(inner, step, new PlanExecutorOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.Zero });

        Assert.Equal(
            ["StepRetryReported", "StepRetryReported", "StepFallbackReported", "StepFinished"],
            messages.Select(m => m.GetType().Name));
        var finished = Assert.IsType<StepFinished>(messages[^1]);
        Assert.Equal(StepStatus.Completed, finished.Status);
        Assert.True(finished.UsedFallback);
        Assert.Equal(4, finished.Attempts);
        Assert.Equal("plan b", finished.Output);
        Assert.Equal([false, false, false, true], inner.Contexts.Select(c => c.IsFallback));
    }

    [Fact]
    public async Task Create_FallbackFails_StepFailsWithoutUsedFallback()
    {
        var inner = FakeStepExecutor.Failing(() => new StepExecutionException("s1", "no tool", isTransient: false));
        var step = Step("s1") with { Fallback = new StepFallback { Description = "plan b" } };

        var messages = await RunAsync(inner, step, new PlanExecutorOptions { MaxRetries = 2 });

        var finished = Assert.IsType<StepFinished>(messages[^1]);
        Assert.Equal(StepStatus.Failed, finished.Status);
        Assert.False(finished.UsedFallback);
        Assert.Equal(2, finished.Attempts);
        Assert.Equal("no tool Fallback failed too: no tool", finished.Error);
    }

    [Fact]
    public async Task Create_RunCancelledMidAttempt_StepIsCancelledNotFailed()
    {
        using var cts = new CancellationTokenSource();
        var inner = new FakeStepExecutor(async (_, ct) =>
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return new StepOutput("never");
        });
        var step = Step("s1") with { Fallback = new StepFallback { Description = "plan b" } };

        var messages = await RunAsync(inner, step, new PlanExecutorOptions { MaxRetries = 2 }, cts.Token);

        var finished = Assert.IsType<StepFinished>(Assert.Single(messages));
        Assert.Equal(StepStatus.Cancelled, finished.Status);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task Create_NoExecutorForTheStep_FailsAtOnceSayingWhatToRegister()
    {
        var toolsOnly = new ToolStepExecutor();

        var messages = await RunAsync(toolsOnly, Step("think"), new PlanExecutorOptions { MaxRetries = 3 });

        var finished = Assert.IsType<StepFinished>(Assert.Single(messages));
        Assert.Equal(StepStatus.Failed, finished.Status);
        Assert.Equal(1, finished.Attempts);
        Assert.StartsWith("No step executor handles step 'think' (an action without a tool, which needs a model).", finished.Error, StringComparison.Ordinal);
    }
}
