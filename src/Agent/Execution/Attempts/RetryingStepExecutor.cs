using Plansmith.Agent.Plans;
using Polly;
using Polly.Retry;

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
    private static readonly ResiliencePropertyKey<StepAttempts> AttemptsKey = new("plansmith.step-attempts");

    private readonly int _maxRetries;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly double _jitter;
    private readonly Random _random;
    private readonly RetryClock _clock;
    private readonly ResiliencePipeline<StepOutput>? _pipeline;

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
        _maxRetries = options.MaxRetries;
        _baseDelay = options.RetryBaseDelay;
        _maxDelay = options.RetryMaxDelay;
        _jitter = options.RetryJitter;
        _random = random;
        _clock = new RetryClock(timeProvider);

        // Polly's retry needs at least one retry; with none, each step gets its single attempt directly.
        if (_maxRetries > 0)
        {
            _pipeline = new ResiliencePipelineBuilder<StepOutput> { Name = "plansmith-step-retry", TimeProvider = _clock }
                .AddRetry(new RetryStrategyOptions<StepOutput>
                {
                    MaxRetryAttempts = _maxRetries,

                    // Polly's own reckoning of the same backoff, without jitter; DelayGenerator adds it.
                    BackoffType = DelayBackoffType.Exponential,
                    Delay = _baseDelay,
                    MaxDelay = _maxDelay,
                    UseJitter = false,
                    ShouldHandle = static args => ValueTask.FromResult(
                        args.Outcome.Exception is { } error && !IsCancellation(error, args.Context.CancellationToken) && IsTransient(error)),
                    DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayAfter(args.AttemptNumber + 1)),
                    OnRetry = static args =>
                    {
                        args.Context.Properties.GetValue(AttemptsKey, null!).Retrying(args.RetryDelay, args.Outcome.Exception!);
                        return ValueTask.CompletedTask;
                    },
                })
                .Build();
        }
    }

    /// <summary>
    /// Whether trying again may succeed. A <see cref="StepExecutionException"/> says so itself; a
    /// verifier's verdict, a reference that cannot be resolved and a bad argument come back the same
    /// every time; any other fault (I/O, network, a timeout, a model error) may pass.
    /// </summary>
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
        if (_pipeline is null || context.IsFallback)
        {
            return await AttemptAsync(context, cancellationToken).ConfigureAwait(false);
        }

        using var scope = _clock.Open();
        var attempts = new StepAttempts(this, context, scope);
        var resilience = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            resilience.Properties.Set(AttemptsKey, attempts);
            return await _pipeline.ExecuteAsync(static (resilienceContext, run) => run.NextAsync(resilienceContext.CancellationToken), resilience, attempts).ConfigureAwait(false);
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

    /// <summary>The delay after failed attempt <paramref name="failedAttempt"/> (from 1): doubling from the base delay, capped, spread by the jitter.</summary>
    private TimeSpan DelayAfter(int failedAttempt)
    {
        var exponential = _baseDelay.TotalMilliseconds * Math.Pow(2, failedAttempt - 1);
        var capped = Math.Min(exponential, _maxDelay.TotalMilliseconds);
        double spread;
        lock (_random)
        {
            spread = (_random.NextDouble() * 2) - 1;
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, capped * (1 + (_jitter * spread))));
    }

    /// <summary>The attempts of one step, as Polly's callbacks see them.</summary>
    private sealed class StepAttempts
    {
        private readonly RetryingStepExecutor _owner;
        private readonly StepContext _first;
        private readonly RetryClock.Scope _scope;
        private StepContext? _current;

        public StepAttempts(RetryingStepExecutor owner, StepContext first, RetryClock.Scope scope)
        {
            _owner = owner;
            _first = first;
            _scope = scope;
        }

        public ValueTask<StepOutput> NextAsync(CancellationToken cancellationToken)
        {
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
            var maxAttempts = _owner._maxRetries + 1;
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
