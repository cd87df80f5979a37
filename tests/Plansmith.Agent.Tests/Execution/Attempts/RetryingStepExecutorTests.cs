using Microsoft.Extensions.Time.Testing;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution.Attempts;

public sealed class RetryingStepExecutorTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static RetryingStepExecutor Layer(IStepExecutor inner, int maxRetries, TimeSpan? baseDelay = null, TimeProvider? time = null, Random? random = null, double jitter = 0) =>
        new(
            inner,
            new PlanExecutorOptions { MaxRetries = maxRetries, RetryBaseDelay = baseDelay ?? TimeSpan.Zero, RetryMaxDelay = TimeSpan.FromSeconds(30), RetryJitter = jitter },
            time ?? new FakeTimeProvider(),
            random ?? new FixedRandom(0.5));

    [Fact]
    public async Task ExecuteAsync_TransientFailures_StopsAtMaxRetriesAndReportsEachRetry()
    {
        var inner = FakeStepExecutor.Failing(() => new HttpRequestException("503 from upstream"));
        var observer = new RecordingObserver();

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => Layer(inner, maxRetries: 2).ExecuteAsync(AttemptContexts.For(Step("s1"), observer)));

        Assert.Equal("503 from upstream", ex.Message);
        Assert.Equal([1, 2, 3], inner.Contexts.Select(c => c.Attempt));
        Assert.Equal([1, 2, 3], observer.Attempts.Select(c => c.Attempt));
        Assert.Equal([(1, 3), (2, 3)], observer.Retries.Select(r => (r.FailedAttempt, r.MaxAttempts)));
        Assert.All(observer.Retries, r => Assert.Equal("503 from upstream", r.Error));
    }

    [Fact]
    public async Task ExecuteAsync_FailsOnceThenSucceeds_ReturnsTheSecondAttemptsOutput()
    {
        var inner = new FakeStepExecutor((ctx, _) => ctx.Attempt == 1 ? throw new TimeoutException("slow") : Task.FromResult(new StepOutput("second")));

        var output = await Layer(inner, maxRetries: 5).ExecuteAsync(AttemptContexts.For(Step("s1")));

        Assert.Equal("second", output.Text);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_Backoff_ReportsTheDelayOnceTheWaitRunsOnTheInjectedClock()
    {
        // The observer moves the fake clock the moment it hears of the retry, as a progress display
        // in a test would: the wait must already exist then, or it would never end.
        var time = new FakeTimeProvider();
        var observer = new RecordingObserver(onRetrying: time.Advance);
        var inner = new FakeStepExecutor((ctx, _) => ctx.Attempt < 3 ? throw new HttpRequestException("busy") : Task.FromResult(new StepOutput("ok")));

        var output = await Layer(inner, maxRetries: 3, baseDelay: TimeSpan.FromSeconds(1), time: time).ExecuteAsync(AttemptContexts.For(Step("s1"), observer)).WaitAsync(Patience);

        Assert.Equal("ok", output.Text);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], observer.Retries.Select(r => r.Delay));
    }

    [Fact]
    public async Task ExecuteAsync_Jitter_SpreadsTheDelayWithTheInjectedRandom()
    {
        var time = new FakeTimeProvider();
        var observer = new RecordingObserver(onRetrying: time.Advance);
        var inner = new FakeStepExecutor((ctx, _) => ctx.Attempt == 1 ? throw new HttpRequestException("busy") : Task.FromResult(new StepOutput("ok")));

        // A draw of 0.75 is a spread of +0.5; with ±20 % jitter the 1 s delay becomes 1.1 s.
        await Layer(inner, maxRetries: 1, baseDelay: TimeSpan.FromSeconds(1), time: time, random: new FixedRandom(0.75), jitter: 0.2)
            .ExecuteAsync(AttemptContexts.For(Step("s1"), observer)).WaitAsync(Patience);

        Assert.Equal(TimeSpan.FromSeconds(1.1), Assert.Single(observer.Retries).Delay);
    }

    public static TheoryData<Exception> PermanentFailures() =>
    [
        new StepExecutionException("s1", "bad plan", isTransient: false),
        new VerificationFailedException("s1", "the claim is false"),
        new ReferenceResolutionException(null, "no such output"),
        new ArgumentException("bad argument"),
    ];

    [Theory]
    [MemberData(nameof(PermanentFailures))]
    public async Task ExecuteAsync_NonTransientError_IsNotRetried(Exception error)
    {
        var inner = FakeStepExecutor.Failing(() => error);
        var observer = new RecordingObserver();

        var thrown = await Assert.ThrowsAnyAsync<Exception>(() => Layer(inner, maxRetries: 5).ExecuteAsync(AttemptContexts.For(Step("s1"), observer)));

        Assert.Same(error, thrown);
        Assert.Equal(1, inner.Calls);
        Assert.Empty(observer.Retries);
    }

    [Fact]
    public async Task ExecuteAsync_Fallback_IsAttemptedOnceNotRetried()
    {
        var inner = FakeStepExecutor.Failing(() => new HttpRequestException("down"));
        var step = Step("s1") with { Fallback = new StepFallback { Description = "plan b", Tool = "text.echo" } };

        await Assert.ThrowsAsync<HttpRequestException>(() => Layer(inner, maxRetries: 3).ExecuteAsync(AttemptContexts.For(step).ForFallback(step.AsFallbackStep()!)));

        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_CancelledDuringTheWait_EndsWithCancellationAndNoFurtherAttempt()
    {
        using var cts = new CancellationTokenSource();
        var observer = new RecordingObserver(onRetrying: _ => cts.Cancel());
        var inner = FakeStepExecutor.Failing(() => new HttpRequestException("busy"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Layer(inner, maxRetries: 3, baseDelay: TimeSpan.FromSeconds(1)).ExecuteAsync(AttemptContexts.For(Step("s1"), observer), cts.Token)).WaitAsync(Patience);

        Assert.Equal(1, inner.Calls);
    }

    [Fact]
    public async Task ExecuteAsync_NoRetries_MakesOneNumberedAttempt()
    {
        var inner = FakeStepExecutor.Failing(() => new HttpRequestException("busy"));
        var observer = new RecordingObserver();

        await Assert.ThrowsAsync<HttpRequestException>(() => Layer(inner, maxRetries: 0).ExecuteAsync(AttemptContexts.For(Step("s1"), observer)));

        Assert.Equal(1, Assert.Single(observer.Attempts).Attempt);
        Assert.Empty(observer.Retries);
    }
}
