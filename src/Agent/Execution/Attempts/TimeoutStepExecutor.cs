namespace Plansmith.Agent.Execution;

/// <summary>
/// The timeout layer: each attempt may take at most <see cref="PlanExecutorOptions.StepTimeout"/>
/// on the executor's clock, after which it fails with a <see cref="TimeoutException"/> that names
/// the setting to raise. A timed-out attempt is a transient failure: the retry layer tries again.
/// </summary>
/// <remarks>
/// The attempt runs on the thread pool and is waited for only until the deadline, so a step that
/// blocks its thread or ignores its cancellation token still times out and never holds up the
/// scheduler; what it does afterwards is abandoned, its exception observed. A plain deadline token
/// rather than Polly's timeout strategy: the same behaviour, for about half the cost per step
/// (bench/, scheduler overhead), and the retry around it is Polly's.
/// </remarks>
internal sealed class TimeoutStepExecutor : DelegatingStepExecutor
{
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public TimeoutStepExecutor(IStepExecutor inner, TimeSpan timeout, TimeProvider timeProvider)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeout = timeout;
        _time = timeProvider;
    }

    public override async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var deadline = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var work = Task.Run(() => Inner.ExecuteAsync(context, linked.Token), linked.Token);
        try
        {
            return await work.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Observe(work);
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Observe(work);
            throw new TimeoutException(
                $"Step '{context.Step.Id}' timed out after {_timeout} (attempt {context.Attempt}). Raise PlanExecutorOptions.StepTimeout or split the step into smaller ones.");
        }
    }

    private static void Observe(Task task) =>
        task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
