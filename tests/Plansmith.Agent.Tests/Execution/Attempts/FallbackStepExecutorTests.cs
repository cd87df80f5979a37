using System.Text.Json;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution.Attempts;

public sealed class FallbackStepExecutorTests
{
    private static readonly PlanStep WithFallback = Step("s1") with
    {
        Tool = "text.fail",
        Fallback = new StepFallback { Description = "use the cache", Tool = "text.echo", Arguments = new Dictionary<string, JsonElement> { ["text"] = JsonSerializer.SerializeToElement("cached") } },
    };

    [Fact]
    public async Task ExecuteAsync_PrimaryFails_RunsTheFallbackInItsPlaceAndReportsIt()
    {
        var inner = new FakeStepExecutor((ctx, _) => ctx.IsFallback ? Task.FromResult(new StepOutput("from " + ctx.Step.Tool)) : throw new InvalidOperationException("primary down"));
        var observer = new RecordingObserver();

        var output = await new FallbackStepExecutor(inner).ExecuteAsync(AttemptContexts.For(WithFallback, observer));

        Assert.Equal("from text.echo", output.Text);
        var fallback = inner.Contexts.Last();
        Assert.True(fallback.IsFallback);
        Assert.Equal("s1", fallback.Step.Id);
        Assert.Equal("use the cache", fallback.Step.Description);
        Assert.Equal(1, fallback.Attempt);
        var reported = Assert.Single(observer.Fallbacks);
        Assert.Equal("primary down", reported.Error);
        Assert.Same(fallback, reported.Fallback);
    }

    [Fact]
    public async Task ExecuteAsync_FallbackFailsToo_FailsForGoodWithBothErrors()
    {
        var inner = new FakeStepExecutor((ctx, _) => throw new InvalidOperationException(ctx.IsFallback ? "backup down" : "primary down"));

        var ex = await Assert.ThrowsAsync<StepExecutionException>(() => new FallbackStepExecutor(inner).ExecuteAsync(AttemptContexts.For(WithFallback)));

        Assert.Equal("primary down Fallback failed too: backup down", ex.Message);
        Assert.False(ex.IsTransient);
        Assert.Equal("s1", ex.StepId);
    }

    [Fact]
    public async Task ExecuteAsync_NoFallback_RethrowsTheStepsOwnError()
    {
        var error = new InvalidOperationException("primary down");
        var inner = FakeStepExecutor.Failing(() => error);

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => new FallbackStepExecutor(inner).ExecuteAsync(AttemptContexts.For(Step("s1"))));

        Assert.Same(error, thrown);
        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_RunCancelled_DoesNotRunTheFallback()
    {
        using var cts = new CancellationTokenSource();
        var inner = new FakeStepExecutor((_, ct) =>
        {
            cts.Cancel();
            ct.ThrowIfCancellationRequested();
            return Task.FromResult(new StepOutput("never"));
        });
        var observer = new RecordingObserver();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new FallbackStepExecutor(inner).ExecuteAsync(AttemptContexts.For(WithFallback, observer), cts.Token));

        Assert.Equal(1, inner.Calls);
        Assert.Empty(observer.Fallbacks);
    }
}
