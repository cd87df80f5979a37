using System.ComponentModel.DataAnnotations;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// How calls to a model endpoint survive failures. Every limit is finite. The defaults suit one
/// agent's traffic (a handful of calls a second at most): patient enough that an endpoint failing a
/// quarter of its requests still serves every run, strict enough that a dead one fails the run
/// within <see cref="TotalTimeout"/> per call.
/// </summary>
public sealed class ModelResilienceOptions
{
    /// <summary>
    /// Retries of a call that failed with 408, 429, 5xx, a network error, a cut-off body or a timeout.
    /// Default 5: with one request in four failing, a call then fails about once in 4,000 (with 3,
    /// once in 256 — several times a day for a busy agent).
    /// </summary>
    [Range(0, 10)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first retry's delay; later ones back off exponentially with jitter. A <c>Retry-After</c> header wins. Default 1 second.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one attempt may take, from sending the request to the last byte of the response —
    /// a streamed answer included — before it counts as failed. Default 2 minutes; raise it for a
    /// slow local model that writes long answers.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a call may take with all its retries and waits, to the last byte of the response. Default 6 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "02:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>
    /// Share of failed attempts within <see cref="BreakerSamplingDuration"/> that opens the circuit.
    /// Default 0.9: the breaker is for an endpoint that is down, not one that is flaky.
    /// </summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.9;

    /// <summary>The window over which failures are counted. Default 30 seconds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts needed in the window before the circuit may open. Default 20: a run's few calls and their retries are no sample.</summary>
    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 20;

    /// <summary>
    /// How long an open circuit holds calls back before one probes the endpoint again. Calls wait
    /// meanwhile (within <see cref="TotalTimeout"/>); they are not failed. Default 5 seconds.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}
