using Plansmith.Agent.Plans;
using System.Runtime.ExceptionServices;
using Polly;

namespace Plansmith.Agent.Execution;

/// <summary>
/// The retry layer: it makes a step's attempts, numbered from 1, and after a transient failure
/// tries again, up to <see cref="PlanExecutorOptions.MaxRetries"/> times, with exponential backoff
/// and jitter on the executor's clock (Polly's retry strategy). A failure that another try cannot
/// mend (<see cref="IsTransient"/>) and the run's cancellation end the attempts at once. A fallback
/// is attempted once, never retried.
/// </summary>
internal sealed class RetryingStepExecutor : DelegatingStepExecutor
{
    internal static readonly ResiliencePropertyKey<StepAttempts> AttemptsKey = new("plansmith.step-attempts");

    private readonly RetryPolicy _policy;

    /// <param name="inner">The layer that makes one attempt.</param>
    /// <param name="options">Where <see cref="PlanExecutorOptions.MaxRetries"/> and the backoff settings come from.</param>
    /// <param name="timeProvider">The clock to wait on between attempts.</param>
    /// <param name="random">The source of jitter; locked while used, so it may be shared.</param>
    public RetryingStepExecutor(IStepExecutor inner, PlanExecutorOptions options, TimeProvider timeProvider, Random random)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(random);
        _policy = RetryPolicy.For(options, timeProvider, random);
    }

    internal static bool IsTransient(Exception error) => error switch
    {
        StepExecutionException step => step.IsTransient,

        // A verdict, not a fault: asking again brings the same judgement back.
        VerificationFailedException => false,
        ReferenceResolutionException => false,
        ArgumentException => false,
        _ => true,
    };

    public override async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_policy.Pipeline is not { } pipeline || context.IsFallback)
        {
            return await AttemptAsync(context, cancellationToken).ConfigureAwait(false);
        }

        // The first attempt runs on its own: most steps succeed at once and never pay for Polly.
        // A failure Polly would retry is handed to it as its first outcome (replayed, not re-run),
        // so the backoff, the retry report and the count of attempts are Polly's from there.
        ExceptionDispatchInfo first;
        try
        {
            return await AttemptAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!IsCancellation(error, cancellationToken) && IsTransient(error))
        {
            first = ExceptionDispatchInfo.Capture(error);
        }

        using var scope = _policy.Clock.Open();
        var attempts = new StepAttempts(this, context, scope, first);
        var resilience = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            resilience.Properties.Set(AttemptsKey, attempts);
            return await pipeline.ExecuteAsync(static (resilienceContext, run) => run.NextAsync(resilienceContext.CancellationToken), resilience, attempts).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }
    }

    private Task<StepOutput> AttemptAsync(StepContext context, CancellationToken cancellationToken)
    {
        context.Observer?.AttemptStarting(context);
        return Inner.ExecuteAsync(context, cancellationToken);
    }

    /// <summary>The attempts of one step, as Polly's callbacks see them.</summary>
    internal sealed class StepAttempts
    {
        private readonly RetryingStepExecutor _owner;
        private readonly StepContext _first;
        private readonly RetryClock.Scope _scope;
        private ExceptionDispatchInfo? _firstFailure;
        private StepContext? _current;

        public StepAttempts(RetryingStepExecutor owner, StepContext first, RetryClock.Scope scope, ExceptionDispatchInfo firstFailure)
        {
            _owner = owner;
            _first = first;
            _scope = scope;
            _firstFailure = firstFailure;
        }

        public ValueTask<StepOutput> NextAsync(CancellationToken cancellationToken)
        {
            if (_firstFailure is { } replay)
            {
                // The first attempt already ran and failed: Polly sees its failure as its first outcome.
                _firstFailure = null;
                _current = _first;
                return ValueTask.FromException<StepOutput>(replay.SourceException);
            }

            // A report still held means the wait made no timer (under a millisecond): it goes out now,
            // before the attempt it announces.
            _scope.Release();
            _current = _current is null ? _first : _first.ForAttempt(_current.Attempt + 1);
            return new ValueTask<StepOutput>(_owner.AttemptAsync(_current, cancellationToken));
        }

        public void Retrying(TimeSpan delay, Exception error)
        {
            if (_current!.Observer is not { } observer)
            {
                return;
            }

            var failed = _current;
            var maxAttempts = _owner._policy.MaxRetries + 1;
            if (delay > TimeSpan.Zero)
            {
                _scope.HoldUntilWaitBegins(() => observer.Retrying(failed, maxAttempts, delay, error));
            }
            else
            {
                observer.Retrying(failed, maxAttempts, delay, error);
            }
        }
    }
}
