using System.Threading.Channels;
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
public sealed class PlanExecutor
{
    private readonly Kernel _kernel;
    private readonly IReadOnlyList<IStepExecutor> _stepExecutors;
    private readonly PlanExecutorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Random _random;

    /// <summary>Creates an executor.</summary>
    /// <param name="kernel">The kernel whose plugins steps call.</param>
    /// <param name="stepExecutors">The executors for each kind of step, asked in order.</param>
    /// <param name="options">Scheduling and failure handling; defaults when null.</param>
    /// <param name="timeProvider">The clock for timeouts, backoff and timestamps; the system clock when null.</param>
    /// <param name="logger">Where to log; nowhere when null.</param>
    /// <param name="random">The source of retry jitter; a shared source when null.</param>
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
        _stepExecutors = stepExecutors.ToList();
        _options = options ?? new PlanExecutorOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _random = random ?? Random.Shared;
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
        using var run = new PlanRun(this, plan, priorOutputs, onEvent);
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

    private IStepExecutor? FindExecutor(PlanStep step)
    {
        foreach (var executor in _stepExecutors)
        {
            if (executor.CanExecute(step))
            {
                return executor;
            }
        }

        return null;
    }

    private TimeSpan RetryDelay(int failedAttempt)
    {
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, failedAttempt - 1);
        var capped = Math.Min(exponential, _options.RetryMaxDelay.TotalMilliseconds);
        double spread;
        lock (_random)
        {
            spread = (_random.NextDouble() * 2) - 1;
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, capped * (1 + (_options.RetryJitter * spread))));
    }

    /// <summary>The state of one run. The coordinator loop alone mutates it; workers talk to it through the inbox.</summary>
    private sealed class PlanRun : IDisposable
    {
        private readonly PlanExecutor _owner;
        private readonly Plan _plan;
        private readonly PlanStep[] _steps;
        private readonly StepState[] _states;
        private readonly List<int>[] _dependents;
        private readonly int[] _waitingOn;
        private readonly Dictionary<string, int> _indexOf;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _outputs = new(StringComparer.Ordinal);
        private readonly Channel<WorkerMessage> _inbox = Channel.CreateUnbounded<WorkerMessage>(new UnboundedChannelOptions { SingleReader = true });
        private readonly Queue<int> _ready = new();
        private readonly HashSet<int> _runningNow = [];
        private readonly Func<ExecutionEvent, CancellationToken, ValueTask>? _onEvent;
        private readonly CancellationTokenSource _stop = new();
        private string? _stopReason;
        private long _startTimestamp;
        private int _running;
        private int _finished;
        private int _completed;
        private int _failed;
        private int _skipped;
        private int _started;
        private int _timed;
        private bool _over;
        private int _cancelled;
        private TimeSpan _timedTotal;

        public PlanRun(PlanExecutor owner, Plan plan, IReadOnlyDictionary<string, string>? priorOutputs, Func<ExecutionEvent, CancellationToken, ValueTask>? onEvent)
        {
            _owner = owner;
            _plan = plan;
            _onEvent = onEvent;
            _steps = [.. plan.Steps];
            _states = new StepState[_steps.Length];
            _dependents = new List<int>[_steps.Length];
            _waitingOn = new int[_steps.Length];
            _indexOf = new Dictionary<string, int>(_steps.Length, StringComparer.Ordinal);
            var problems = new List<PlanProblem>();
            for (var i = 0; i < _steps.Length; i++)
            {
                _states[i] = new StepState();
                _dependents[i] = [];
                var id = _steps[i].Id;
                if (string.IsNullOrWhiteSpace(id))
                {
                    problems.Add(new PlanProblem(PlanProblemCode.EmptyId, null, $"Step number {i + 1} has no id."));
                }
                else if (!_indexOf.TryAdd(id, i))
                {
                    problems.Add(new PlanProblem(PlanProblemCode.DuplicateId, id, "more than one step has this id."));
                }
            }

            for (var i = 0; i < _steps.Length; i++)
            {
                foreach (var dependency in _steps[i].Dependencies.Distinct(StringComparer.Ordinal))
                {
                    if (_indexOf.TryGetValue(dependency, out var d))
                    {
                        _dependents[d].Add(i);
                        _waitingOn[i]++;
                    }
                    else
                    {
                        problems.Add(new PlanProblem(PlanProblemCode.UnknownDependency, _steps[i].Id, $"depends on '{dependency}', but no step has that id."));
                    }
                }
            }

            if (problems.Count > 0)
            {
                throw new PlanValidationException(problems);
            }

            if (priorOutputs is not null)
            {
                foreach (var (id, output) in priorOutputs)
                {
                    if (_indexOf.TryGetValue(id, out var i))
                    {
                        _states[i].Status = StepStatus.Completed;
                        _states[i].Output = output;
                        _states[i].Restored = true;
                        _outputs[id] = output;
                        _finished++;
                        _completed++;

                        // Restored steps count as started, so the first step of a resumed run is
                        // "step 3 of 6" after two done, not "step 1 of 6".
                        _started++;
                    }
                }

                for (var i = 0; i < _steps.Length; i++)
                {
                    if (_states[i].Status == StepStatus.Completed)
                    {
                        foreach (var dependent in _dependents[i])
                        {
                            _waitingOn[dependent]--;
                        }
                    }
                }
            }
        }

        private TimeProvider Time => _owner._time;

        public void Dispose() => _stop.Dispose();

        private PlanExecutorOptions Options => _owner._options;

        public async Task<PlanExecutionResult> RunAsync(CancellationToken cancellationToken)
        {
            using var runToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
            var token = runToken.Token;
            var startedAt = Time.GetUtcNow();
            _startTimestamp = Time.GetTimestamp();
            ExecutionLog.RunStarting(_owner._logger, _steps.Length, Options.MaxParallelism);
            for (var i = 0; i < _steps.Length; i++)
            {
                if (_states[i].Status == StepStatus.Pending && _waitingOn[i] == 0)
                {
                    _ready.Enqueue(i);
                }
            }

            try
            {
                while (true)
                {
                    while (_running < Options.MaxParallelism && _ready.Count > 0 && !token.IsCancellationRequested)
                    {
                        await LaunchAsync(_ready.Dequeue(), token).ConfigureAwait(false);
                    }

                    if (_running == 0)
                    {
                        break;
                    }

                    // Workers always report, cancelled or not, so this read needs no token.
                    var message = await _inbox.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                    await HandleAsync(message).ConfigureAwait(false);
                }
            }
            finally
            {
                if (_running > 0)
                {
                    // An event observer threw: stop the workers and wait for them before leaving.
                    await _stop.CancelAsync().ConfigureAwait(false);
                    while (_running > 0)
                    {
                        if (await _inbox.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false) is Finished)
                        {
                            _running--;
                        }
                    }
                }
            }

            var status = PlanExecutionStatus.Completed;
            string? error = null;
            if (cancellationToken.IsCancellationRequested)
            {
                status = PlanExecutionStatus.Cancelled;
                error = "The run was cancelled.";
                CancelPending(error);
            }
            else if (_stop.IsCancellationRequested)
            {
                status = PlanExecutionStatus.Failed;
                error = _stopReason;
                CancelPending(_stopReason!);
            }
            else if (_finished < _steps.Length)
            {
                status = PlanExecutionStatus.Failed;
                error = await ReportUnsatisfiableAsync().ConfigureAwait(false);
            }
            else if (_completed < _steps.Length)
            {
                status = PlanExecutionStatus.Failed;
                var failed = Enumerable.Range(0, _steps.Length).Where(i => _states[i].Status == StepStatus.Failed).Select(i => _steps[i].Id).ToList();
                error = $"{failed.Count} step(s) failed ({string.Join(", ", failed)}) and {_skipped} step(s) were skipped.";
            }

            var result = new PlanExecutionResult
            {
                Plan = _plan,
                Status = status,
                Steps = [.. Enumerable.Range(0, _steps.Length).Select(ToRecord)],
                StartedAt = startedAt,
                EndedAt = Time.GetUtcNow(),
                Error = error,
            };
            ExecutionLog.RunEnded(_owner._logger, status, result.Duration.TotalMilliseconds);
            _over = true;
            await EmitAsync(new PlanCompleted { Timestamp = Time.GetUtcNow(), Progress = Progress(), Result = result }).ConfigureAwait(false);
            return result;
        }

        private async ValueTask LaunchAsync(int index, CancellationToken token)
        {
            var state = _states[index];
            var step = _steps[index];
            state.Status = StepStatus.Running;
            state.StartedAt = Time.GetUtcNow();
            _running++;
            _runningNow.Add(index);
            _started++;
            ExecutionLog.StepStarted(_owner._logger, step.Id, _started, _steps.Length);

            // Start the worker before reporting, so that a throwing observer cannot leave a step
            // counted as running with no worker to finish it. The worker's own reports wait in the
            // inbox until this event is out, so the stream stays in order.
            _ = RunStepAsync(index, step, token);
            await EmitAsync(new StepStarted { Timestamp = state.StartedAt.Value, Progress = Progress(), StepId = step.Id, Description = step.Description, Ordinal = _started, Total = _steps.Length }).ConfigureAwait(false);
        }

        /// <summary>One step's attempts, retries and fallback. Never throws: it always posts a <see cref="Finished"/>.</summary>
        private async Task RunStepAsync(int index, PlanStep step, CancellationToken token)
        {
            using var span = PlansmithTelemetry.Start("execute_step", step.Id);
            span?.SetTag("plansmith.step.id", step.Id);
            span?.SetTag("plansmith.step.kind", PlanJson.KindName(step.Kind));
            var attempts = 0;
            Exception? lastError = null;
            try
            {
                var maxAttempts = Options.MaxRetries + 1;
                for (var attempt = 1; attempt <= maxAttempts; attempt++)
                {
                    attempts++;
                    var outcome = await AttemptAsync(step, attempt, isFallback: false, token).ConfigureAwait(false);
                    if (outcome.Output is not null)
                    {
                        Post(new Finished(index, StepStatus.Completed, outcome.Output.Text, null, attempts, UsedFallback: false, outcome.Output.Usage));
                        return;
                    }

                    lastError = outcome.Error!;
                    if (!IsTransient(lastError) || attempt == maxAttempts)
                    {
                        break;
                    }

                    var delay = _owner.RetryDelay(attempt);

                    // Start the timer before reporting: whoever reads the report may move the clock.
                    var wait = Task.Delay(delay, Time, token);
                    Post(new Retrying(index, attempt, maxAttempts, delay, lastError.Message));
                    await wait.ConfigureAwait(false);
                }

                if (step.AsFallbackStep() is { } fallback)
                {
                    Post(new FallingBack(index, fallback.Description, lastError!.Message));
                    attempts++;
                    var outcome = await AttemptAsync(fallback, 1, isFallback: true, token).ConfigureAwait(false);
                    if (outcome.Output is not null)
                    {
                        Post(new Finished(index, StepStatus.Completed, outcome.Output.Text, null, attempts, UsedFallback: true, outcome.Output.Usage));
                        return;
                    }

                    lastError = new StepExecutionException(
                        step.Id,
                        $"{lastError.Message} Fallback failed too: {outcome.Error!.Message}",
                        isTransient: false,
                        outcome.Error);
                }

                Post(new Finished(index, StepStatus.Failed, null, lastError!.Message, attempts, UsedFallback: false));
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                Post(new Finished(index, StepStatus.Cancelled, null, "The run was cancelled while the step was running.", attempts, UsedFallback: false));
            }
            catch (Exception ex)
            {
                // Defensive: a fault in the scheduler itself must not lose the step's report.
                Post(new Finished(index, StepStatus.Failed, null, $"{ex.GetType().Name}: {ex.Message}", attempts, UsedFallback: false));
            }
        }

        /// <summary>One attempt with its own timeout. Cancellation of the run propagates; every other failure is returned.</summary>
        private async Task<AttemptOutcome> AttemptAsync(PlanStep step, int attempt, bool isFallback, CancellationToken token)
        {
            var executor = _owner.FindExecutor(step);
            if (executor is null)
            {
                return new AttemptOutcome(null, new StepExecutionException(
                    step.Id,
                    $"No step executor handles step '{step.Id}' ({DescribeKind(step)}). Register an executor for this kind of step, or give the step a tool to call.",
                    isTransient: false));
            }

            using var timeout = new CancellationTokenSource(Options.StepTimeout, Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
            var context = new StepContext(_plan, step, _owner._kernel, _outputs, attempt, isFallback);

            // Task.Run keeps a step that blocks synchronously from holding up the scheduler, and
            // WaitAsync stops waiting for one that ignores its cancellation token.
            var work = Task.Run(() => executor.ExecuteAsync(context, linked.Token), linked.Token);
            try
            {
                var output = await work.WaitAsync(linked.Token).ConfigureAwait(false);
                return new AttemptOutcome(output ?? new StepOutput(string.Empty), null);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                Observe(work);
                throw;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                Observe(work);
                return new AttemptOutcome(null, new TimeoutException(
                    $"Step '{step.Id}' timed out after {Options.StepTimeout} (attempt {attempt}). Raise PlanExecutorOptions.StepTimeout or split the step into smaller ones."));
            }
            catch (Exception ex)
            {
                return new AttemptOutcome(null, ex);
            }
        }

        private static void Observe(Task task) =>
            task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        private static bool IsTransient(Exception error) => error switch
        {
            StepExecutionException step => step.IsTransient,

            // A verdict, not a fault: asking again brings the same judgement back.
            VerificationFailedException => false,
            ReferenceResolutionException => false,
            ArgumentException => false,
            _ => true,
        };

        private static string DescribeKind(PlanStep step) => step.Kind switch
        {
            StepKind.Verify => "a verify step",
            StepKind.Subgoal => "a subgoal step",
            _ when step.Tool is null => "an action without a tool, which needs a model",
            _ => "a tool step",
        };

        private void Post(WorkerMessage message)
        {
            if (message is Finished finished && System.Diagnostics.Activity.Current is { } span && span.Source == PlansmithTelemetry.Source)
            {
                span.SetTag("plansmith.step.status", finished.Status.ToString().ToLowerInvariant());
                span.SetTag("plansmith.step.attempts", finished.Attempts);
                PlansmithTelemetry.SetUsage(span, finished.Usage);
                if (finished.Status == StepStatus.Failed)
                {
                    PlansmithTelemetry.Fail(span, finished.Error ?? "failed");
                }
            }

            _inbox.Writer.TryWrite(message);
        }

        private async ValueTask HandleAsync(WorkerMessage message)
        {
            var step = _steps[message.Index];
            var state = _states[message.Index];
            switch (message)
            {
                case Retrying retrying:
                    state.Attempts = retrying.FailedAttempt;
                    ExecutionLog.StepRetrying(_owner._logger, step.Id, retrying.FailedAttempt, retrying.Delay.TotalMilliseconds, retrying.Error);
                    await EmitAsync(new StepRetrying { Timestamp = Time.GetUtcNow(), Progress = Progress(), StepId = step.Id, FailedAttempt = retrying.FailedAttempt, MaxAttempts = retrying.MaxAttempts, Delay = retrying.Delay, Error = retrying.Error }).ConfigureAwait(false);
                    break;
                case FallingBack fallingBack:
                    ExecutionLog.StepFallingBack(_owner._logger, step.Id, fallingBack.Error);
                    await EmitAsync(new StepFallbackStarted { Timestamp = Time.GetUtcNow(), Progress = Progress(), StepId = step.Id, FallbackDescription = fallingBack.Description, Error = fallingBack.Error }).ConfigureAwait(false);
                    break;
                case Finished finished:
                    await FinishAsync(message.Index, finished).ConfigureAwait(false);
                    break;
            }
        }

        private async ValueTask FinishAsync(int index, Finished finished)
        {
            var step = _steps[index];
            var state = _states[index];
            _running--;
            _runningNow.Remove(index);

            // A cancelled step did not finish: progress counts it neither as done nor as finished.
            if (finished.Status == StepStatus.Cancelled)
            {
                _cancelled++;
            }
            else
            {
                _finished++;
            }

            state.Status = finished.Status;
            state.Attempts = finished.Attempts;
            state.EndedAt = Time.GetUtcNow();
            state.UsedFallback = finished.UsedFallback;
            var duration = state.EndedAt.Value - state.StartedAt!.Value;
            switch (finished.Status)
            {
                case StepStatus.Completed:
                    _completed++;
                    _timed++;
                    _timedTotal += duration;
                    state.Output = finished.Output;
                    state.Usage = finished.Usage;
                    _outputs[step.Id] = finished.Output!;
                    ExecutionLog.StepCompleted(_owner._logger, step.Id, duration.TotalMilliseconds, finished.Attempts);
                    PlansmithTelemetry.Steps.Add(1, new KeyValuePair<string, object?>("status", "completed"));
                    PlansmithTelemetry.StepDuration.Record(duration.TotalSeconds);
                    await EmitAsync(new StepCompleted { Timestamp = state.EndedAt.Value, Progress = Progress(), StepId = step.Id, Description = step.Description, OutputPreview = Preview(finished.Output!), Duration = duration, Attempts = finished.Attempts, UsedFallback = finished.UsedFallback, Output = finished.Output!, Usage = finished.Usage }).ConfigureAwait(false);
                    foreach (var dependent in _dependents[index])
                    {
                        if (--_waitingOn[dependent] == 0 && _states[dependent].Status == StepStatus.Pending)
                        {
                            _ready.Enqueue(dependent);
                        }
                    }

                    break;
                case StepStatus.Failed:
                    _failed++;
                    _timed++;
                    _timedTotal += duration;
                    state.Error = finished.Error;
                    ExecutionLog.StepFailed(_owner._logger, step.Id, finished.Attempts, finished.Error!);
                    PlansmithTelemetry.Steps.Add(1, new KeyValuePair<string, object?>("status", "failed"));
                    PlansmithTelemetry.StepFailures.Add(1);
                    PlansmithTelemetry.StepDuration.Record(duration.TotalSeconds);
                    await EmitAsync(new StepFailed { Timestamp = state.EndedAt.Value, Progress = Progress(), StepId = step.Id, Description = step.Description, Error = finished.Error!, Duration = duration, Attempts = finished.Attempts }).ConfigureAwait(false);
                    if (Options.StopOnFailure && !_stop.IsCancellationRequested)
                    {
                        _stopReason = $"Step '{step.Id}' failed and StopOnFailure is set, so the run stopped: {finished.Error}";
                        await _stop.CancelAsync().ConfigureAwait(false);
                    }
                    else
                    {
                        await SkipDependentsAsync(index).ConfigureAwait(false);
                    }

                    break;
                default:
                    state.Error = finished.Error;
                    break;
            }
        }

        private async ValueTask SkipDependentsAsync(int failedIndex)
        {
            var queue = new Queue<(int Index, int Because)>();
            foreach (var dependent in _dependents[failedIndex])
            {
                queue.Enqueue((dependent, failedIndex));
            }

            while (queue.Count > 0)
            {
                var (index, because) = queue.Dequeue();
                var state = _states[index];
                if (state.Status != StepStatus.Pending)
                {
                    continue;
                }

                var cause = _steps[because];
                var reason = _states[because].Status == StepStatus.Failed
                    ? $"depends on '{cause.Id}', which failed: {_states[because].Error}"
                    : $"depends on '{cause.Id}', which was skipped";
                state.Status = StepStatus.Skipped;
                state.Error = reason;
                _finished++;
                _skipped++;
                ExecutionLog.StepSkipped(_owner._logger, _steps[index].Id, reason);
                await EmitAsync(new StepSkipped { Timestamp = Time.GetUtcNow(), Progress = Progress(), StepId = _steps[index].Id, Description = _steps[index].Description, Reason = reason }).ConfigureAwait(false);
                foreach (var dependent in _dependents[index])
                {
                    queue.Enqueue((dependent, index));
                }
            }
        }

        private void CancelPending(string reason)
        {
            for (var i = 0; i < _steps.Length; i++)
            {
                if (_states[i].Status is StepStatus.Pending or StepStatus.Running)
                {
                    _states[i].Status = StepStatus.Cancelled;
                    _states[i].Error ??= reason;
                }
            }
        }

        /// <summary>Steps still pending with nothing running can never start: say which and why.</summary>
        private async ValueTask<string> ReportUnsatisfiableAsync()
        {
            var stuck = Enumerable.Range(0, _steps.Length).Where(i => _states[i].Status == StepStatus.Pending).ToList();
            var details = stuck.Select(i =>
                $"{_steps[i].Id} waits for {string.Join(", ", _steps[i].Dependencies.Where(d => _states[_indexOf[d]].Status != StepStatus.Completed))}");
            var error = $"{stuck.Count} step(s) can never start because their dependencies form a cycle: {string.Join("; ", details)}. "
                        + "Remove a dependency to break the cycle; PlanValidator reports cycles before a run.";
            ExecutionLog.Unsatisfiable(_owner._logger, error);
            foreach (var i in stuck)
            {
                _states[i].Status = StepStatus.Skipped;
                _states[i].Error = "can never start: its dependencies form a cycle.";
                _finished++;
                _skipped++;
                await EmitAsync(new StepSkipped { Timestamp = Time.GetUtcNow(), Progress = Progress(), StepId = _steps[i].Id, Description = _steps[i].Description, Reason = _states[i].Error! }).ConfigureAwait(false);
            }

            return error;
        }

        private ValueTask EmitAsync(ExecutionEvent executionEvent) =>
            _onEvent is null ? ValueTask.CompletedTask : _onEvent(executionEvent, CancellationToken.None);

        private ExecutionProgress Progress()
        {
            var elapsed = Time.GetElapsedTime(_startTimestamp);
            TimeSpan? remaining = null;
            if (_over)
            {
                remaining = _timed > 0 ? TimeSpan.Zero : null;
            }
            else if (_timed > 0)
            {
                // Each step still to do is expected to take the mean of those done so far; a running
                // step has used part of that already, so the estimate falls while it runs.
                var mean = _timedTotal.Ticks / _timed;
                var now = Time.GetUtcNow();
                var pending = Math.Max(0, _steps.Length - _finished - _cancelled - _runningNow.Count);
                var work = pending * mean;
                foreach (var i in _runningNow)
                {
                    work += Math.Max(0, mean - (now - _states[i].StartedAt!.Value).Ticks);
                }

                var left = pending + _runningNow.Count;

                var lanes = Math.Max(1, Math.Min(Options.MaxParallelism, left));
                remaining = TimeSpan.FromTicks(work / lanes);
            }

            return new ExecutionProgress(_steps.Length, _finished, _completed, _failed, _skipped, _running, elapsed, remaining);
        }

        private string Preview(string output)
        {
            var limit = Options.OutputPreviewLength;
            var oneLine = output.ReplaceLineEndings(" ");
            return oneLine.Length <= limit ? oneLine : oneLine[..limit] + "…";
        }

        private StepRecord ToRecord(int index)
        {
            var state = _states[index];
            return new StepRecord
            {
                StepId = _steps[index].Id,
                Status = state.Status,
                Output = state.Status == StepStatus.Completed ? state.Output : null,
                Attempts = state.Attempts,
                StartedAt = state.StartedAt,
                EndedAt = state.EndedAt,
                Error = state.Error,
                UsedFallback = state.UsedFallback,
                Restored = state.Restored,
                Usage = state.Usage,
            };
        }
    }

    private sealed class StepState
    {
        public StepStatus Status { get; set; } = StepStatus.Pending;

        public string? Output { get; set; }

        public int Attempts { get; set; }

        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? EndedAt { get; set; }

        public string? Error { get; set; }

        public bool UsedFallback { get; set; }

        public bool Restored { get; set; }

        public TokenUsage Usage { get; set; }
    }

    private readonly record struct AttemptOutcome(StepOutput? Output, Exception? Error);

    private abstract record WorkerMessage(int Index);

    private sealed record Retrying(int Index, int FailedAttempt, int MaxAttempts, TimeSpan Delay, string Error) : WorkerMessage(Index);

    private sealed record FallingBack(int Index, string Description, string Error) : WorkerMessage(Index);

    private sealed record Finished(int Index, StepStatus Status, string? Output, string? Error, int Attempts, bool UsedFallback, TokenUsage Usage = default) : WorkerMessage(Index);
}
