using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// An <see cref="HttpClient"/> for a model connector with retries (backoff, jitter, honouring
/// <c>Retry-After</c>) on 408, 429, 5xx, network errors and timeouts, a per-attempt and a total
/// timeout, and a circuit breaker. Handing it to SK's OpenAI connector turns off the SDK's own
/// retries and timeout, so these are the only ones.
/// </summary>
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

        var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
        if (timeProvider is not null)
        {
            builder.TimeProvider = timeProvider;
        }

        builder
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                ShouldHandle = args => ValueTask.FromResult(options.MaxRetries > 0 && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            })
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
            {
                FailureRatio = options.BreakerFailureRatio,
                SamplingDuration = options.BreakerSamplingDuration,
                MinimumThroughput = options.BreakerMinimumThroughput,
                BreakDuration = options.BreakDuration,
            })
            .AddTimeout(options.AttemptTimeout);
        var sender = new ConnectionFailureHandler { InnerHandler = innerHandler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All } };
        var handler = new ResilienceHandler(builder.Build()) { InnerHandler = sender };

        // The pipeline owns time limits: the client's own 100-second timeout would cut retries short.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
