using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs a plan by dataflow: each step starts the moment all its dependencies have completed, with
/// at most <see cref="PlanExecutorOptions.MaxParallelism"/> steps running at once. Failed attempts
/// are retried with backoff, then the step's fallback runs, and dependents of a step that failed
/// for good are skipped with the reason. A remainder that can never start is reported as an
/// error, never as a silent stop. Every step's result is kept in the returned record, whatever
/// happens to the rest of the run.
/// </summary>
/// <remarks>
/// Each step runs through the step-attempt pipeline: fallback, retry, tracing and timeout as
/// layers around the <see cref="IStepExecutor"/> that handles it. Step metrics are recorded from
/// the run's events.
/// </remarks>
public sealed class PlanExecutor
{
    private readonly Kernel _kernel;
    private readonly IStepExecutor _pipeline;
    private readonly PlanExecutorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates an executor.</summary>
    /// <param name="kernel">The kernel whose plugins steps call.</param>
    /// <param name="stepExecutors">The executors for each kind of step, asked in order.</param>
    /// <param name="options">Scheduling and failure handling; defaults when null.</param>
    /// <param name="timeProvider">The clock for timeouts, backoff and timestamps; the system clock when null.</param>
    /// <param name="logger">Where to log; nowhere when null.</param>
    /// <param name="random">The source of retry jitter; a shared source when null.</param>
    /// <exception cref="ArgumentException">An option is out of range, or <paramref name="stepExecutors"/> holds a null.</exception>
    public PlanExecutor(
        Kernel kernel,
        IEnumerable<IStepExecutor> stepExecutors,
        PlanExecutorOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<PlanExecutor>? logger = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(stepExecutors);
        _kernel = kernel;
        _options = options ?? new PlanExecutorOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pipeline = StepAttemptPipeline.Create(stepExecutors, _options, _time, random ?? Random.Shared);
    }

    /// <summary>Runs the plan to the end and returns every step's record.</summary>
    /// <param name="plan">The plan to run; validate it first with <see cref="PlanValidator"/>.</param>
    /// <param name="priorOutputs">
    /// Outputs of steps already completed (when resuming, or after a replan); those steps do not run again.
    /// </param>
    /// <param name="onEvent">Called with each event, in order; the run waits for it, so a store can persist before going on.</param>
    /// <param name="cancellationToken">
    /// Stops new steps and cancels running ones. Cancellation is not an error: the result comes
    /// back with status <see cref="PlanExecutionStatus.Cancelled"/> and every output completed before it.
    /// </param>
    /// <exception cref="PlanValidationException">The plan has duplicate or empty ids or unknown dependencies.</exception>
    public async Task<PlanExecutionResult> ExecuteAsync(
        Plan plan,
        IReadOnlyDictionary<string, string>? priorOutputs = null,
        Func<ExecutionEvent, CancellationToken, ValueTask>? onEvent = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var run = new DataflowScheduler(plan, priorOutputs, WithObservers(onEvent), _pipeline, _kernel, _options, _time, _logger);
        return await run.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the plan and streams its events as they happen. The last event is always
    /// <see cref="PlanCompleted"/>. Leaving the loop early cancels the run.
    /// </summary>
    public IAsyncEnumerable<ExecutionEvent> ExecuteStreamingAsync(
        Plan plan,
        IReadOnlyDictionary<string, string>? priorOutputs = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return EventStream.ReadAsync((emit, token) => ExecuteAsync(plan, priorOutputs, (e, _) => emit(e), token), cancellationToken);
    }

    /// <summary>The caller's observer, with the step metrics and the log observing the same events first.</summary>
    private Func<ExecutionEvent, CancellationToken, ValueTask> WithObservers(Func<ExecutionEvent, CancellationToken, ValueTask>? onEvent) =>
        (e, token) =>
        {
            StepMetrics.Record(e);
            ExecutionLog.Observe(_logger, e);
            return onEvent is null ? ValueTask.CompletedTask : onEvent(e, token);
        };
}
