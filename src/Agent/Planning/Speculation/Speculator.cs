using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Starts steps while their plan is still being written: each step the planner's stream closes is
/// started at once if <see cref="SpeculationMode"/> allows it and the steps it depends on have
/// already finished here; others wait for them. When the plan is final and approved,
/// <see cref="SettleAsync"/> keeps each result whose step the final plan holds unchanged (and whose
/// inputs were kept), and discards the rest.
/// </summary>
internal sealed class Speculator : IDisposable
{
    private readonly RunScope _scope;
    private readonly SpeculationMode _mode;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _stop;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PlanStep> _written = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<StepRecord?>> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StepRecord> _done = new(StringComparer.Ordinal);
    private readonly List<PlanStep> _waiting = [];
    private readonly Dictionary<string, string> _abandoned = new(StringComparer.Ordinal);
    private CancellationTokenSource _attempt;

    public Speculator(RunScope scope, SpeculationMode mode, CancellationToken cancellationToken)
    {
        _scope = scope;
        _mode = mode;
        _slots = new SemaphoreSlim(Math.Max(1, scope.Options.Execution.MaxParallelism));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
    }

    /// <summary>Whether <paramref name="step"/> may start before the plan is final.</summary>
    public bool MayStartEarly(PlanStep step) => _mode switch
    {
        SpeculationMode.All => step.Kind is StepKind.Action or StepKind.Collect,
        SpeculationMode.ReadOnly => step.Kind == StepKind.Collect
                                    || (step.Kind == StepKind.Action && step.Tool is not null && step.Fallback is null
                                        && RunFingerprint.IsIdempotent(_scope.Run.Kernel, step)),
        _ => false,
    };

    /// <summary>A step was written (and passed every check possible so far): start it, or queue it for its inputs.</summary>
    public void StepWritten(PlanStep step)
    {
        if (!MayStartEarly(step))
        {
            return;
        }

        lock (_lock)
        {
            if (_stop.IsCancellationRequested || _written.ContainsKey(step.Id))
            {
                return;
            }

            _written[step.Id] = step;
            _waiting.Add(step);
            StartReadyLocked();
        }
    }

    /// <summary>
    /// The plan being written was rejected: what was started from it is cancelled and forgotten
    /// (finished results stay, to be judged against the final plan); the next attempt starts afresh.
    /// </summary>
    public void PlanRejected()
    {
        CancellationTokenSource stale;
        lock (_lock)
        {
            _waiting.Clear();
            foreach (var id in _written.Keys.Where(id => !_done.ContainsKey(id)).ToList())
            {
                _written.Remove(id);
                if (_running.ContainsKey(id))
                {
                    _abandoned[id] = "the plan it came from was rejected";
                }
            }

            stale = _attempt;
            _attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        }

        stale.Cancel();
    }

    /// <summary>
    /// Waits for the steps still running, then keeps the results the final plan can use: the same
    /// step (kind, tool, arguments, dependencies, description) whose dependencies were kept too.
    /// Returns the kept records (in plan order) and the discarded steps with the reason.
    /// </summary>
    public async Task<(IReadOnlyList<StepRecord> Kept, IReadOnlyList<(string StepId, string Reason)> Discarded)> SettleAsync(Plan? final, string? whyNoPlan = null)
    {
        Task<StepRecord?>[] running;
        lock (_lock)
        {
            _waiting.Clear();
            running = [.. _running.Values];
        }

        if (final is null)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        var kept = new List<StepRecord>();
        var keptIds = new HashSet<string>(StringComparer.Ordinal);
        var discarded = new List<(string, string)>();
        lock (_lock)
        {
            foreach (var step in final?.Steps ?? [])
            {
                if (_done.TryGetValue(step.Id, out var record) && _written.TryGetValue(step.Id, out var early)
                    && Same(early, step) && step.Dependencies.All(keptIds.Contains))
                {
                    kept.Add(record);
                    keptIds.Add(step.Id);
                }
            }

            // Every step that started early and is not kept is on the record, finished or not.
            foreach (var id in _running.Keys)
            {
                if (!keptIds.Contains(id))
                {
                    discarded.Add((id, _abandoned.TryGetValue(id, out var why) && !_done.ContainsKey(id)
                        ? why
                        : final is null
                            ? whyNoPlan ?? "the plan was not approved"
                            : final.FindStep(id) is null ? "the final plan dropped the step" : "the final plan changed the step or its inputs"));
                }
            }
        }

        return (kept, discarded);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _attempt.Dispose();
        _stop.Dispose();

        // The slots are not disposed: a step cancelled just now may still give its slot back.
    }

    private void StartReadyLocked()
    {
        for (var i = 0; i < _waiting.Count; i++)
        {
            var step = _waiting[i];
            if (step.Dependencies.All(_done.ContainsKey))
            {
                _waiting.RemoveAt(i--);
                _running[step.Id] = RunAsync(step, _attempt.Token);
            }
        }
    }

    private async Task<StepRecord?> RunAsync(PlanStep step, CancellationToken attempt)
    {
        await Task.Yield();
        try
        {
            await _slots.WaitAsync(attempt).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            // A plan of the step and its (finished) inputs: the inputs are restored, only the step runs.
            Dictionary<string, string> inputs;
            List<PlanStep> steps;
            lock (_lock)
            {
                inputs = step.Dependencies.ToDictionary(id => id, id => _done[id].Output ?? string.Empty, StringComparer.Ordinal);
                steps = [.. step.Dependencies.Select(id => _written[id] with { Dependencies = [] }), step];
            }

            var result = await _scope.CreateExecutor().ExecuteAsync(new Plan(steps, _scope.Goal), inputs, onEvent: null, attempt).ConfigureAwait(false);
            var record = result[step.Id];
            if (record.Status != StepStatus.Completed || attempt.IsCancellationRequested)
            {
                return null;
            }

            lock (_lock)
            {
                _done[step.Id] = record;
                StartReadyLocked();
            }

            return record;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        finally
        {
            _slots.Release();
        }
    }

    private static bool Same(PlanStep early, PlanStep final) =>
        early.Kind == final.Kind
        && string.Equals(early.Tool, final.Tool, StringComparison.Ordinal)
        && string.Equals(early.Agent, final.Agent, StringComparison.Ordinal)
        && (early.Tool is not null || string.Equals(early.Description, final.Description, StringComparison.Ordinal))
        && early.Fallback is null && final.Fallback is null
        && early.Dependencies.Order(StringComparer.Ordinal).SequenceEqual(final.Dependencies.Order(StringComparer.Ordinal), StringComparer.Ordinal)
        && SameArguments(early.Arguments, final.Arguments);

    private static bool SameArguments(IReadOnlyDictionary<string, JsonElement> a, IReadOnlyDictionary<string, JsonElement> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && JsonElement.DeepEquals(p.Value, other));
}
