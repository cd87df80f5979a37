using System.Runtime.CompilerServices;
using Polly;
using Polly.Retry;

namespace Plansmith.Agent.Execution;

/// <summary>
/// The retry half of the step-attempt pipeline as Polly runs it: backoff, jitter and the retry
/// report on the executor's clock. Built once per set of settings, clock and random source and
/// shared by every executor that uses them (building a Polly pipeline validates its options, which
/// costs more than a whole step).
/// </summary>
internal sealed class RetryPolicy
{
    private static readonly ConditionalWeakTable<TimeProvider, List<RetryPolicy>> Cache = new();

    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private readonly double _jitter;
    private readonly Random _random;

    private RetryPolicy(int maxRetries, TimeSpan baseDelay, TimeSpan maxDelay, double jitter, TimeProvider timeProvider, Random random)
    {
        MaxRetries = maxRetries;
        _baseDelay = baseDelay;
        _maxDelay = maxDelay;
        _jitter = jitter;
        _random = random;
        Clock = new RetryClock(timeProvider);

        // Polly's retry needs at least one retry; with none, each step gets its single attempt directly.
        if (maxRetries > 0)
        {
            Pipeline = new ResiliencePipelineBuilder<StepOutput> { Name = "plansmith-step-retry", TimeProvider = Clock }
                .AddRetry(new RetryStrategyOptions<StepOutput>
                {
                    MaxRetryAttempts = maxRetries,

                    // Polly's own reckoning of the same backoff, without jitter; DelayGenerator adds it.
                    BackoffType = DelayBackoffType.Exponential,
                    Delay = baseDelay,
                    MaxDelay = maxDelay,
                    UseJitter = false,
                    ShouldHandle = static args => ValueTask.FromResult(
                        args.Outcome.Exception is { } error && !(error is OperationCanceledException && args.Context.CancellationToken.IsCancellationRequested) && RetryingStepExecutor.IsTransient(error)),
                    DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(DelayAfter(args.AttemptNumber + 1)),
                    OnRetry = static args =>
                    {
                        args.Context.Properties.GetValue(RetryingStepExecutor.AttemptsKey, null!).Retrying(args.RetryDelay, args.Outcome.Exception!);
                        return ValueTask.CompletedTask;
                    },
                })
                .Build();
        }
    }

    /// <summary>Retries after the first attempt (<see cref="PlanExecutorOptions.MaxRetries"/>).</summary>
    public int MaxRetries { get; }

    /// <summary>The clock Polly waits on; it holds a retry's report until the wait has begun.</summary>
    public RetryClock Clock { get; }

    /// <summary>Polly's retry pipeline, or null when no retry is allowed.</summary>
    public ResiliencePipeline<StepOutput>? Pipeline { get; }

    /// <summary>The policy for these settings, clock and random source: made once, then shared.</summary>
    public static RetryPolicy For(PlanExecutorOptions options, TimeProvider timeProvider, Random random)
    {
        var policies = Cache.GetOrCreateValue(timeProvider);
        lock (policies)
        {
            foreach (var policy in policies)
            {
                if (policy.Matches(options, random))
                {
                    return policy;
                }
            }

            var made = new RetryPolicy(options.MaxRetries, options.RetryBaseDelay, options.RetryMaxDelay, options.RetryJitter, timeProvider, random);

            // A handful of settings per clock in practice; the cap keeps a host that keeps changing them bounded.
            if (policies.Count >= 16)
            {
                policies.RemoveAt(0);
            }

            policies.Add(made);
            return made;
        }
    }

    private bool Matches(PlanExecutorOptions options, Random random) =>
        ReferenceEquals(random, _random) && options.MaxRetries == MaxRetries && options.RetryBaseDelay == _baseDelay
        && options.RetryMaxDelay == _maxDelay && options.RetryJitter.Equals(_jitter);

    /// <summary>Doubles from the base delay, capped, spread by ± the jitter fraction from the injected random source.</summary>
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
}
