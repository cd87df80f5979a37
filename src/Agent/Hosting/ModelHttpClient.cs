using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// An <see cref="HttpClient"/> for a model connector with retries (backoff, jitter, honouring
/// <c>Retry-After</c>) on 408, 429, 5xx, network errors and timeouts, a per-attempt and a total
/// timeout that bound the whole response body (streamed ones too), and a circuit breaker that makes
/// calls wait while it is open instead of failing them. Handing it to SK's OpenAI connector turns
/// off the SDK's own retries and timeout, so these are the only ones.
/// </summary>
/// <remarks>
/// The layers, outermost first: the prompt-name header (<see cref="PromptHeaderHandler"/>) → total timeout → retry of transient failures → wait while the
/// circuit is open → circuit breaker → attempt timeout → response body limits. Waiting for the
/// circuit sits inside the retry so that it spends time, not retries: an open circuit only says the
/// endpoint needs a rest, and a patient client that waits it out still finishes its run.
/// </remarks>
public static class ModelHttpClient
{
    /// <summary>Creates the client.</summary>
    /// <param name="options">Retry, timeout and breaker settings; defaults when null.</param>
    /// <param name="innerHandler">The handler that sends requests; a <see cref="SocketsHttpHandler"/> when null.</param>
    /// <param name="timeProvider">The clock for delays and timeouts; the system clock when null.</param>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public static HttpClient Create(ModelResilienceOptions? options = null, HttpMessageHandler? innerHandler = null, TimeProvider? timeProvider = null)
    {
        options ??= new ModelResilienceOptions();
        var errors = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true))
        {
            throw new ArgumentException("Invalid ModelResilienceOptions: " + string.Join(" ", errors.Select(e => e.ErrorMessage)), nameof(options));
        }

        var time = timeProvider ?? TimeProvider.System;
        var circuit = new CircuitClock(time, options.BreakDuration);
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        builder
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new HttpRetryStrategyOptions
            {
                Name = "transient",
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            })
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                // Bounded by the total timeout above, not by a count: no request was sent.
                Name = "wait-for-circuit",
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is BrokenCircuitException),
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(circuit.Wait()),
            })
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.BreakerFailureRatio,
                SamplingDuration = options.BreakerSamplingDuration,
                MinimumThroughput = options.BreakerMinimumThroughput,
                BreakDuration = options.BreakDuration,
                OnOpened = args =>
                {
                    circuit.Opened(args.BreakDuration);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(options.AttemptTimeout);
        var sender = new ConnectionFailureHandler { InnerHandler = innerHandler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All } };
        var bodies = new ResponseBodyHandler(options.AttemptTimeout, options.TotalTimeout, time) { InnerHandler = sender };
        var resilience = new ResilienceHandler(builder.Build()) { InnerHandler = bodies };
        var handler = new PromptHeaderHandler { InnerHandler = resilience };

        // The pipeline owns time limits: the client's own 100-second timeout would cut retries short.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>When the open circuit half-opens, for calls that wait for it.</summary>
    internal sealed class CircuitClock
    {
        private readonly TimeProvider _time;
        private readonly TimeSpan _probe;
        private long _halfOpensAt;

        public CircuitClock(TimeProvider time, TimeSpan breakDuration)
        {
            _time = time;

            // While another call is the half-open probe, look again after a tenth of the break.
            _probe = TimeSpan.FromTicks(Math.Clamp(breakDuration.Ticks / 10, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
        }

        public void Opened(TimeSpan breakDuration) =>
            Interlocked.Exchange(ref _halfOpensAt, (_time.GetUtcNow() + breakDuration).UtcTicks);

        /// <summary>How long a call held back by the circuit waits before asking it again.</summary>
        public TimeSpan Wait()
        {
            var left = TimeSpan.FromTicks(Interlocked.Read(ref _halfOpensAt) - _time.GetUtcNow().UtcTicks);
            return left > _probe ? left : _probe;
        }
    }
}
