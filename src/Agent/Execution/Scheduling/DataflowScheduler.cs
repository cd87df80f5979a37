using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

/// <summary>
/// One run of a plan by dataflow. Each step starts the moment all its dependencies have completed,
/// with at most <see cref="PlanExecutorOptions.MaxParallelism"/> running at once; dependents of a
/// step that failed for good are skipped with the reason; a remainder that can never start is
/// reported as an error. How a step's attempts go (timeouts, retries, fallback, tracing) is the
/// attempt pipeline's business, not the scheduler's.
/// </summary>
/// <remarks>
/// The coordinator loop alone changes the run's state; each step's <see cref="StepWorker"/> talks to
/// it through the inbox, so events go out one at a time and in order.
/// </remarks>
internal sealed class DataflowScheduler : IDisposable
{
    private readonly Plan _plan;
    private readonly PlanGraph _graph;
    private readonly IReadOnlyList<PlanStep> _steps;
    private readonly StepState[] _states;
    private readonly int[] _waitingOn;
    private readonly IStepExecutor _pipeline;
    private readonly Kernel _kernel;
    private readonly PlanExecutorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<ExecutionEvent, CancellationToken, ValueTask>? _onEvent;
    private readonly ExecutionProgressTracker _progress;
    private readonly ConcurrentDictionary<string, string> _outputs = new(StringComparer.Ordinal);
    private readonly Channel<WorkerMessage> _inbox = Channel.CreateUnbounded<WorkerMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<int> _ready = new();
    private readonly CancellationTokenSource _stop = new();
    private string? _stopReason;
    private int _workers;
    private int _started;

    /// <exception cref="PlanValidationException">The plan has duplicate or empty ids or unknown dependencies.</exception>
    public DataflowScheduler(
        Plan plan,
        IReadOnlyDictionary<string, string>? priorOutputs,
        Func<ExecutionEvent, CancellationToken, ValueTask>? onEvent,
        IStepExecutor pipeline,
        Kernel kernel,
        PlanExecutorOptions options,
        TimeProvider time,
        ILogger logger)
    {
        _plan = plan;
        _graph = new PlanGraph(plan);
        ThrowIfUnrunnable(_graph);
        _steps = _graph.Steps;
        _onEvent = onEvent;
        _pipeline = pipeline;
        _kernel = kernel;
        _options = options;
        _time = time;
        _logger = logger;
        _progress = new ExecutionProgressTracker(_steps.Count, options.MaxParallelism, time);
        _states = new StepState[_steps.Count];
        _waitingOn = new int[_steps.Count];
        for (var i = 0; i < _steps.Count; i++)
        {
            _states[i] = new StepState();
            _waitingOn[i] = _graph.DependencyCount(i);
        }

        foreach (var (id, output) in priorOutputs ?? System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty)
        {
            if (_graph.TryGetIndex(id, out var i))
            {
                _states[i].Status = StepStatus.Completed;
                _states[i].Output = output;
                _states[i].Restored = true;
                _outputs[id] = output;
                _progress.MarkRestored();

                // Restored steps count as started, so the first step of a resumed run is
                // "step 3 of 6" after two done, not "step 1 of 6".
                _started++;
                foreach (var dependent in _graph.DependentsOf(i))
                {
                    _waitingOn[dependent]--;
                }
            }
        }
    }

    public void Dispose() => _stop.Dispose();

    public async Task<PlanExecutionResult> RunAsync(CancellationToken cancellationToken)
    {
        using var runToken = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var token = runToken.Token;
        var startedAt = _time.GetUtcNow();
        _progress.Start();
        ExecutionLog.RunStarting(_logger, _steps.Count, _options.MaxParallelism);
        for (var i = 0; i < _steps.Count; i++)
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
                while (_workers < _options.MaxParallelism && _ready.Count > 0 && !token.IsCancellationRequested)
                {
                    await LaunchAsync(_ready.Dequeue(), token).ConfigureAwait(false);
                }

                if (_workers == 0)
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
            if (_workers > 0)
            {
                // An event observer threw: stop the workers and wait for them before leaving.
                await _stop.CancelAsync().ConfigureAwait(false);
                while (_workers > 0)
                {
                    if (await _inbox.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false) is StepFinished)
                    {
                        _workers--;
                    }
                }
            }
        }

        var (status, error) = await ConcludeAsync(cancellationToken).ConfigureAwait(false);
        var result = new PlanExecutionResult
        {
            Plan = _plan,
            Status = status,
            Steps = [.. Enumerable.Range(0, _steps.Count).Select(i => _states[i].ToRecord(_steps[i].Id))],
            StartedAt = startedAt,
            EndedAt = _time.GetUtcNow(),
            Error = error,
        };
        _progress.End();
        await EmitAsync(new PlanCompleted { Timestamp = _time.GetUtcNow(), Progress = _progress.Snapshot(), Result = result }).ConfigureAwait(false);
        return result;
    }

    /// <summary>Refuses what no schedule can run: steps without an id or with the same id, and dependencies on no step.</summary>
    private static void ThrowIfUnrunnable(PlanGraph graph)
    {
        var problems = new List<PlanProblem>();
        for (var i = 0; i < graph.Steps.Count; i++)
        {
            var id = graph.Steps[i].Id;
            if (string.IsNullOrWhiteSpace(id))
            {
                problems.Add(new PlanProblem(PlanProblemCode.EmptyId, null, $"Step number {i + 1} has no id."));
            }
            else if (!graph.TryGetIndex(id, out var first) || first != i)
            {
                problems.Add(new PlanProblem(PlanProblemCode.DuplicateId, id, "more than one step has this id."));
            }
        }

        for (var i = 0; i < graph.Steps.Count; i++)
        {
            foreach (var dependency in graph.UnknownDependenciesOf(i).Distinct(StringComparer.Ordinal))
            {
                problems.Add(new PlanProblem(PlanProblemCode.UnknownDependency, graph.Steps[i].Id, $"depends on '{dependency}', but no step has that id."));
            }
        }

        if (problems.Count > 0)
        {
            throw new PlanValidationException(problems);
        }
    }

    /// <summary>How the run ended, once no step runs any more: cancelled, stopped, stuck, failed or completed.</summary>
    private async ValueTask<(PlanExecutionStatus Status, string? Error)> ConcludeAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            const string cancelled = "The run was cancelled.";
            CancelPending(cancelled);
            return (PlanExecutionStatus.Cancelled, cancelled);
        }

        if (_stop.IsCancellationRequested)
        {
            CancelPending(_stopReason!);
            return (PlanExecutionStatus.Failed, _stopReason);
        }

        if (_progress.Finished < _steps.Count)
        {
            return (PlanExecutionStatus.Failed, await ReportUnsatisfiableAsync().ConfigureAwait(false));
        }

        if (_progress.Completed < _steps.Count)
        {
            var failed = Enumerable.Range(0, _steps.Count).Where(i => _states[i].Status == StepStatus.Failed).Select(i => _steps[i].Id).ToList();
            return (PlanExecutionStatus.Failed, $"{failed.Count} step(s) failed ({string.Join(", ", failed)}) and {_progress.Skipped} step(s) were skipped.");
        }

        return (PlanExecutionStatus.Completed, null);
    }

    private async ValueTask LaunchAsync(int index, CancellationToken token)
    {
        var state = _states[index];
        var step = _steps[index];
        state.Status = StepStatus.Running;
        state.StartedAt = _time.GetUtcNow();
        _workers++;
        _progress.MarkRunning(index, state.StartedAt.Value);
        _started++;

        // Start the worker before reporting, so that a throwing observer cannot leave a step
        // counted as running with no worker to finish it. The worker's own reports wait in the
        // inbox until this event is out, so the stream stays in order.
        var worker = new StepWorker(index, _inbox.Writer);
        _ = worker.RunAsync(_pipeline, new StepContext(_plan, step, _kernel, _outputs) { Observer = worker }, token);
        await EmitAsync(new StepStarted { Timestamp = state.StartedAt.Value, Progress = _progress.Snapshot(), StepId = step.Id, Description = step.Description, Ordinal = _started, Total = _steps.Count }).ConfigureAwait(false);
    }

    private async ValueTask HandleAsync(WorkerMessage message)
    {
        var step = _steps[message.Index];
        switch (message)
        {
            case StepRetryReported retrying:
                _states[message.Index].Attempts = retrying.FailedAttempt;
                await EmitAsync(new StepRetrying { Timestamp = _time.GetUtcNow(), Progress = _progress.Snapshot(), StepId = step.Id, FailedAttempt = retrying.FailedAttempt, MaxAttempts = retrying.MaxAttempts, Delay = retrying.Delay, Error = retrying.Error }).ConfigureAwait(false);
                break;
            case StepFallbackReported fallingBack:
                await EmitAsync(new StepFallbackStarted { Timestamp = _time.GetUtcNow(), Progress = _progress.Snapshot(), StepId = step.Id, FallbackDescription = fallingBack.Description, Error = fallingBack.Error }).ConfigureAwait(false);
                break;
            case StepFinished finished:
                await FinishAsync(message.Index, finished).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask FinishAsync(int index, StepFinished finished)
    {
        var step = _steps[index];
        var state = _states[index];
        _workers--;
        state.Status = finished.Status;
        state.Attempts = finished.Attempts;
        state.EndedAt = _time.GetUtcNow();
        state.UsedFallback = finished.UsedFallback;
        var duration = state.EndedAt.Value - state.StartedAt!.Value;
        switch (finished.Status)
        {
            case StepStatus.Completed:
                _progress.MarkCompleted(index, duration);
                state.Output = finished.Output;
                state.Usage = finished.Usage;
                _outputs[step.Id] = finished.Output!;
                await EmitAsync(new StepCompleted { Timestamp = state.EndedAt.Value, Progress = _progress.Snapshot(), StepId = step.Id, Description = step.Description, OutputPreview = Preview(finished.Output!), Duration = duration, Attempts = finished.Attempts, UsedFallback = finished.UsedFallback, Output = finished.Output!, Usage = finished.Usage }).ConfigureAwait(false);
                foreach (var dependent in _graph.DependentsOf(index))
                {
                    if (--_waitingOn[dependent] == 0 && _states[dependent].Status == StepStatus.Pending)
                    {
                        _ready.Enqueue(dependent);
                    }
                }

                break;
            case StepStatus.Failed:
                _progress.MarkFailed(index, duration);
                state.Error = finished.Error;
                await EmitAsync(new StepFailed { Timestamp = state.EndedAt.Value, Progress = _progress.Snapshot(), StepId = step.Id, Description = step.Description, Error = finished.Error!, Duration = duration, Attempts = finished.Attempts }).ConfigureAwait(false);
                if (_options.StopOnFailure && !_stop.IsCancellationRequested)
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
                // Cancelled with the run: it did not finish, and progress does not count it as done.
                _progress.MarkCancelled(index);
                state.Error = finished.Error;
                break;
        }
    }

    private async ValueTask SkipDependentsAsync(int failedIndex)
    {
        var queue = new Queue<(int Index, int Because)>();
        foreach (var dependent in _graph.DependentsOf(failedIndex))
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
            _progress.MarkSkipped();
            await EmitAsync(new StepSkipped { Timestamp = _time.GetUtcNow(), Progress = _progress.Snapshot(), StepId = _steps[index].Id, Description = _steps[index].Description, Reason = reason }).ConfigureAwait(false);
            foreach (var dependent in _graph.DependentsOf(index))
            {
                queue.Enqueue((dependent, index));
            }
        }
    }

    private void CancelPending(string reason)
    {
        foreach (var state in _states)
        {
            if (state.Status is StepStatus.Pending or StepStatus.Running)
            {
                state.Status = StepStatus.Cancelled;
                state.Error ??= reason;
            }
        }
    }

    /// <summary>Steps still pending with nothing running can never start: say which and why.</summary>
    private async ValueTask<string> ReportUnsatisfiableAsync()
    {
        var stuck = Enumerable.Range(0, _steps.Count).Where(i => _states[i].Status == StepStatus.Pending).ToList();
        var details = stuck.Select(i =>
            $"{_steps[i].Id} waits for {string.Join(", ", _steps[i].Dependencies.Where(d => _graph.TryGetIndex(d, out var j) && _states[j].Status != StepStatus.Completed))}");
        var cycles = string.Join("; ", _graph.FindCycles().Select(_graph.DescribeCycle));
        var error = $"{stuck.Count} step(s) can never start because their dependencies form a cycle ({cycles}): {string.Join("; ", details)}. "
                    + "Remove a dependency to break the cycle; PlanValidator reports cycles before a run.";
        ExecutionLog.Unsatisfiable(_logger, error);
        foreach (var i in stuck)
        {
            _states[i].Status = StepStatus.Skipped;
            _states[i].Error = "can never start: its dependencies form a cycle.";
            _progress.MarkSkipped();
            await EmitAsync(new StepSkipped { Timestamp = _time.GetUtcNow(), Progress = _progress.Snapshot(), StepId = _steps[i].Id, Description = _steps[i].Description, Reason = _states[i].Error! }).ConfigureAwait(false);
        }

        return error;
    }

    private ValueTask EmitAsync(ExecutionEvent executionEvent) =>
        _onEvent is null ? ValueTask.CompletedTask : _onEvent(executionEvent, CancellationToken.None);

    private string Preview(string output) => OutputPreview.Of(output, _options.OutputPreviewLength);
}
