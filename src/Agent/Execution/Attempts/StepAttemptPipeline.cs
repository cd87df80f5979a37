namespace Plansmith.Agent.Execution;

/// <summary>
/// How the plan executor runs one step: the registered executors wrapped in layers, outermost first:
/// <list type="number">
/// <item><see cref="FallbackStepExecutor"/>: once the step has failed for good, its fallback runs once in its place.</item>
/// <item><see cref="RetryingStepExecutor"/>: numbered attempts; transient failures are tried again with backoff (Polly retry).</item>
/// <item><see cref="TracingStepExecutor"/>: a span per attempt.</item>
/// <item><see cref="TimeoutStepExecutor"/>: each attempt within <see cref="PlanExecutorOptions.StepTimeout"/> (a deadline token on the executor's clock).</item>
/// <item><see cref="StepExecutorSelector"/>: the attempt itself, on the first executor that can run the step.</item>
/// </list>
/// </summary>
/// <remarks>
/// The order follows from what each layer means. The timeout is per attempt, so it sits inside the
/// retry; the fallback comes after the retries, so it sits outside them, and its one attempt goes
/// through the same retry layer (which does not retry a fallback), tracing and timeout. Tracing
/// sits outside the timeout so that an attempt's span ends when the attempt is given up, even if
/// the executor ignores its cancellation token, and records it as a timeout.
/// </remarks>
internal static class StepAttemptPipeline
{
    /// <summary>Builds the pipeline around <paramref name="executors"/>.</summary>
    public static IStepExecutor Create(IEnumerable<IStepExecutor> executors, PlanExecutorOptions options, TimeProvider timeProvider, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        var selector = new StepExecutorSelector(executors);
        IStepExecutor attempt = new TimeoutStepExecutor(selector, options.StepTimeout, timeProvider);
        attempt = new TracingStepExecutor(attempt, selector);
        attempt = new RetryingStepExecutor(attempt, options, timeProvider, random);
        return new FallbackStepExecutor(attempt);
    }
}
