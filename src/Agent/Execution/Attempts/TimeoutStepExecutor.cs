using Polly;
using Polly.Timeout;

namespace Plansmith.Agent.Execution;

/// <summary>
/// The timeout layer: each attempt may take at most <see cref="PlanExecutorOptions.StepTimeout"/>
/// on the executor's clock (Polly's timeout strategy), after which it fails with a
/// <see cref="TimeoutException"/> that names the setting to raise. A timed-out attempt is a
/// transient failure: the retry layer tries again.
/// </summary>
/// <remarks>
/// The attempt runs on the thread pool and is waited for only until the deadline, so a step that
/// blocks its thread or ignores its cancellation token still times out and never holds up the
/// scheduler; what it does afterwards is abandoned, its exception observed.
/// </remarks>
internal sealed class TimeoutStepExecutor : DelegatingStepExecutor
{
    private readonly TimeSpan _timeout;
    private readonly ResiliencePipeline<StepOutput> _pipeline;

    public TimeoutStepExecutor(IStepExecutor inner, TimeSpan timeout, TimeProvider timeProvider)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeout = timeout;
        _pipeline = new ResiliencePipelineBuilder<StepOutput> { Name = "plansmith-step-timeout", TimeProvider = timeProvider }
            .AddTimeout(new TimeoutStrategyOptions
            {
                // A generator, because Polly's Timeout property refuses less than 10 ms and
                // StepTimeout allows down to 1 ms.
                TimeoutGenerator = _ => ValueTask.FromResult(timeout),
            })
            .Build();
    }

    public override async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await _pipeline.ExecuteAsync(
                static (state, token) => state.Self.RunAsync(state.Context, token),
                (Self: this, Context: context),
                cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new TimeoutException(
                $"Step '{context.Step.Id}' timed out after {_timeout} (attempt {context.Attempt}). Raise PlanExecutorOptions.StepTimeout or split the step into smaller ones.",
                ex);
        }
    }

    private async ValueTask<StepOutput> RunAsync(StepContext context, CancellationToken token)
    {
        var work = Task.Run(() => Inner.ExecuteAsync(context, token), token);
        try
        {
            return await work.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Observe(work);
            throw;
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
