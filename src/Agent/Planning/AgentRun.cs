using Microsoft.Extensions.AI;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Planning;

/// <summary>
/// One run of a <see cref="PlanningAgent"/>: its phases (route, plan, reflect, approve, execute,
/// replan, answer) and the state they share. Recording to the store is in AgentRun.Store.cs, the
/// answer and the run's end in AgentRun.Answer.cs.
/// </summary>
internal sealed partial class AgentRun : IDisposable
{
    /// <summary>How many times an answer that was not whole is asked for again.</summary>
    private const int AnswerReasks = 2;

    private readonly PlanningAgent _agent;
    private readonly string _goal;
    private readonly PlansmithOptions _options;
    private readonly List<ExecutionEvent> _events = [];
    private readonly Lock _eventsLock = new();
    private readonly List<Plan> _versions = [];
    private readonly Dictionary<string, StepRecord> _records = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
    private readonly RunMeter _meter;
    private readonly RunEvents _runEvents;
    private readonly ModelGateway _gateway;
    private readonly RunContext _run;
    private readonly RunScope _scope;
    private readonly DateTimeOffset _startedAt;
    private readonly CancellationTokenSource _halt = new();
    private Plan? _plan;
    private int _replans;
    private string? _runId;
    private RunStoreException? _storeFailure;
    private RunLeaseKeeper? _keeper;
    private RunRecorder? _recorder;
    private bool _owning;
    private bool _started;
    private bool _rejectedByApprover;
    private Speculator? _speculator;
    private Task<Plan>? _creating;

    public AgentRun(PlanningAgent agent, string goal, IReadOnlyList<ChatMessage> conversation, PlansmithOptions options, Func<ExecutionEvent, ValueTask> sink)
    {
        _agent = agent;
        _goal = goal;
        _options = options;
        _startedAt = agent.Time.GetUtcNow();
        _meter = new RunMeter(options.Budget, agent.Time);
        _runEvents = new RunEvents(
            async e =>
            {
                // Stored first: a step counts as completed only once its output is in the store.
                if (_agent.Store is { } store && _runId is { } id)
                {
                    // Through the recorder: answer pieces are stored merged, every other event at once.
                    var recorder = LazyInitializer.EnsureInitialized(ref _recorder, () => new RunRecorder(store, id));
                    await StoreAsync(() => recorder.RecordAsync(e, CancellationToken.None)).ConfigureAwait(false);
                }

                if (e is PlanRejected { Stage: PromptNames.PlanCreate })
                {
                    _speculator?.PlanRejected();
                }

                lock (_eventsLock)
                {
                    _events.Add(e);
                }

                await sink(e).ConfigureAwait(false);
            },
            agent.Time);
        var kernel = RunKernel.Create(agent.Kernel, agent.ModelPipeline(_meter));
        _gateway = new ModelGateway(kernel, agent.Prompts, _meter);
        _run = new RunContext(goal, conversation, options, kernel, _gateway, _runEvents);
        _scope = new RunScope(_run, agent.Planner, agent.CreateExecutor);
    }

    private DateTimeOffset Now => _agent.Time.GetUtcNow();

    public void Dispose()
    {
        _speculator?.Dispose();
        _meter.Dispose();
        _halt.Dispose();
    }

    public async Task<AgentRunResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        PlanningAgent.Log.RunStarting(_agent.Logger, _options.MaxSteps, _options.Execution.MaxParallelism);
        if (_agent.Store is { } store && _runId is null)
        {
            Own(await store.CreateRunAsync(RunFingerprint.Describe(_agent.Kernel, _agent.Prompts, _goal, _options), cancellationToken).ConfigureAwait(false));
        }

        await StartAsync(resumed: false).ConfigureAwait(false);

        AgentRunStatus status;
        string? error = null;
        try
        {
            StartSpeculation(cancellationToken);
            if (_options.UseRouter && await RouteAsync(cancellationToken).ConfigureAwait(false) is { NeedsPlan: false } decision)
            {
                await EmitAsync(new AnswerCompleted { Timestamp = Now, Answer = decision.Answer, Partial = false }).ConfigureAwait(false);
                return await FinishAsync(AgentRunStatus.Answered, decision.Answer, null).ConfigureAwait(false);
            }

            var approved = await PlanAsync(cancellationToken).ConfigureAwait(false);
            await SettleSpeculationAsync(approved ? _plan : null).ConfigureAwait(false);
            if (!approved)
            {
                _rejectedByApprover = true;
                return await FinishAsync(AgentRunStatus.Rejected, string.Empty, "The plan was rejected at approval.").ConfigureAwait(false);
            }

            (status, error) = await ExecutePlanAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PlanningFailedException ex)
        {
            return await FinishAsync(AgentRunStatus.Rejected, string.Empty, ex.Message).ConfigureAwait(false);
        }
        catch (PlanRejectedException ex)
        {
            return await FinishAsync(AgentRunStatus.Rejected, string.Empty, ex.Message).ConfigureAwait(false);
        }
        catch (BudgetExceededException ex)
        {
            await EmitAsync(new BudgetExhausted { Timestamp = Now, Progress = _runEvents.Progress, Reason = ex.Message }).ConfigureAwait(false);
            status = AgentRunStatus.BudgetExhausted;
            error = ex.Message;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await FinishAsync(AgentRunStatus.Cancelled, string.Empty, "The run was cancelled.").ConfigureAwait(false);
        }
        catch (ModelCallException ex)
        {
            // A planning call failed at the provider; what ran so far is kept in the result.
            return await FinishAsync(AgentRunStatus.Failed, string.Empty, $"A model call failed while planning: {ex.Message}").ConfigureAwait(false);
        }

        return await AnswerAsync(status, error, cancellationToken).ConfigureAwait(false);
    }

    public async Task<AgentRunResult> ResumeAsync(StoredRun stored, CancellationToken cancellationToken)
    {
        _runId = stored.Id;
        await StartAsync(resumed: true).ConfigureAwait(false);
        _versions.AddRange(stored.PlanVersions);
        _plan = stored.PlanVersions.Count == 0 ? null : stored.PlanVersions[^1];
        if (_plan is null)
        {
            // It stopped before a plan was made: plan afresh under the same run id.
            return await ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }

        // It stopped while its plan waited for approval: nothing ran, and nothing runs until
        // the approver (asked again now) says so.
        if (stored.AwaitsApproval)
        {
            if (!await ApproveAsync(_plan, cancellationToken).ConfigureAwait(false))
            {
                _rejectedByApprover = true;
                return await FinishAsync(AgentRunStatus.Rejected, string.Empty, "The plan was rejected at approval.").ConfigureAwait(false);
            }
        }

        foreach (var step in stored.Steps.Where(s => s.Status == StepStatus.Completed && s.Output is not null && _plan.FindStep(s.StepId) is not null))
        {
            _outputs[step.StepId] = step.Output!;
            _records[step.StepId] = new StepRecord
            {
                StepId = step.StepId, Status = StepStatus.Completed, Output = step.Output, Attempts = step.Attempts,
                StartedAt = step.StartedAt, EndedAt = step.EndedAt, Restored = true,
            };
        }

        var interrupted = stored.Steps.Where(s => s.Status == StepStatus.Running).Select(s => s.StepId).ToList();
        var unverified = interrupted.Where(id => !RunFingerprint.IsIdempotent(_agent.Kernel, _plan.FindStep(id))).ToList();
        if (_agent.Store is { } store)
        {
            await StoreAsync(() => store.MarkUnverifiedAsync(stored.Id, unverified, cancellationToken)).ConfigureAwait(false);
        }

        var warnings = RunFingerprint.Changes(stored.Info, RunFingerprint.Describe(_agent.Kernel, _agent.Prompts, _goal, _options));
        foreach (var warning in warnings)
        {
            PlanningAgent.Log.ResumeWarning(_agent.Logger, stored.Id, warning);
        }

        await EmitAsync(new RunResumed { Timestamp = Now, RunId = stored.Id, CompletedSteps = [.. _outputs.Keys.Order(StringComparer.Ordinal)], Unverified = unverified, Warnings = warnings }).ConfigureAwait(false);
        AgentRunStatus status;
        string? error;
        try
        {
            (status, error) = await ExecutePlanAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetExceededException ex)
        {
            await EmitAsync(new BudgetExhausted { Timestamp = Now, Progress = _runEvents.Progress, Reason = ex.Message }).ConfigureAwait(false);
            (status, error) = (AgentRunStatus.BudgetExhausted, ex.Message);
        }

        return await AnswerAsync(status, error, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AgentRunResult> AnswerAsync(AgentRunStatus status, string? error, CancellationToken cancellationToken)
    {
        if (status == AgentRunStatus.Cancelled)
        {
            return await FinishAsync(status, string.Empty, error).ConfigureAwait(false);
        }

        var (answer, answerError) = await SynthesizeAsync(status, error, cancellationToken).ConfigureAwait(false);
        if (answerError is null)
        {
            return await FinishAsync(status, answer, error).ConfigureAwait(false);
        }

        // Without a whole answer the run is not complete, however well its steps went.
        return await FinishAsync(
            status == AgentRunStatus.Completed ? AgentRunStatus.Failed : status,
            answer,
            error is null ? answerError : error + " " + answerError).ConfigureAwait(false);
    }

    public IReadOnlyList<Plan> Versions => [.. _versions];

    public TokenUsage Usage => _meter.Usage;

    public IReadOnlyList<ExecutionEvent> EventsSoFar
    {
        get
        {
            lock (_eventsLock)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Create and reflect; the plan as it stands after review.</summary>
    public async Task<Plan> CreateAndReflectAsync(CancellationToken cancellationToken)
    {
        var creating = _creating ?? _agent.Planner.CreateAsync(_run, cancellationToken);
        _creating = null;
        var plan = await creating.ConfigureAwait(false);
        var attempt = CountEvents<PlanRejected>(e => e.Stage == PromptNames.PlanCreate) + 1;
        AddVersion(plan);
        await EmitAsync(new PlanCreated { Timestamp = Now, Plan = plan, Attempt = attempt }).ConfigureAwait(false);

        for (var round = 1; round <= _options.MaxReflectionRounds; round++)
        {
            var outcome = await _agent.Planner.ReflectAsync(_run, plan, cancellationToken).ConfigureAwait(false);
            await EmitAsync(new PlanReflected { Timestamp = Now, Round = round, Approved = outcome.Approved, Issues = outcome.Issues, Plan = outcome.Plan }).ConfigureAwait(false);
            if (outcome.Approved)
            {
                break;
            }

            plan = outcome.Plan;
            AddVersion(plan);
        }

        return plan;
    }

    /// <summary>Create, reflect and approve. False when the approver rejected the plan.</summary>
    private async Task<bool> PlanAsync(CancellationToken cancellationToken)
    {
        var plan = await CreateAndReflectAsync(cancellationToken).ConfigureAwait(false);
        return await ApproveAsync(plan, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the approver about <paramref name="plan"/>; false when it was rejected.</summary>
    private async Task<bool> ApproveAsync(Plan plan, CancellationToken cancellationToken)
    {
        await EmitAsync(new PlanApprovalRequested { Timestamp = Now, Plan = plan }).ConfigureAwait(false);
        var approval = await _agent.Approver.ApproveAsync(plan, cancellationToken).ConfigureAwait(false);
        switch (approval.Decision)
        {
            case PlanApprovalDecision.Rejected:
                return false;
            case PlanApprovalDecision.Edited when approval.Plan is { } edited:
                new PlanValidator(new PlanValidationOptions { MaxSteps = _options.MaxSteps })
                    .Validate(edited with { Goal = edited.Goal ?? _goal }, _agent.Kernel.Plugins, [.. _options.Agents.Keys]);
                plan = edited with { Goal = edited.Goal ?? _goal };
                AddVersion(plan);
                break;
        }

        _plan = plan;
        await EmitAsync(new PlanApproved { Timestamp = Now, Plan = plan, Edited = approval.Decision == PlanApprovalDecision.Edited }).ConfigureAwait(false);
        return true;
    }

    /// <summary>Runs the plan, revising it after failures while replans remain.</summary>
    private async Task<(AgentRunStatus Status, string? Error)> ExecutePlanAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var plan = _plan!;
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _meter.Exhausted);
            var result = await _scope.CreateExecutor().ExecuteAsync(
                plan,
                _outputs,
                (e, _) => _runEvents.EmitAsync(e),
                linked.Token).ConfigureAwait(false);
            foreach (var record in result.Steps.Where(r => !r.Restored))
            {
                _records[record.StepId] = record;
                if (record.Status == StepStatus.Completed)
                {
                    _outputs[record.StepId] = record.Output!;
                }
            }

            if (result.Status == PlanExecutionStatus.Completed)
            {
                return (AgentRunStatus.Completed, null);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return (AgentRunStatus.Cancelled, "The run was cancelled.");
            }

            if (_meter.Exhausted.IsCancellationRequested || !_meter.CanCall())
            {
                var reason = _meter.ExhaustedReason ?? "the budget is spent";
                await EmitAsync(new BudgetExhausted { Timestamp = Now, Progress = _runEvents.Progress, Reason = reason }).ConfigureAwait(false);
                return (AgentRunStatus.BudgetExhausted, $"The plan was stopped because {reason}.");
            }

            var failed = result.Steps.FirstOrDefault(s => s.Status == StepStatus.Failed);
            if (failed is null || _replans >= _options.MaxReplans)
            {
                var why = failed is null ? result.Error : $"{result.Error} No replans left (MaxReplans = {_options.MaxReplans}).";
                return (AgentRunStatus.Failed, why);
            }

            Plan revised;
            try
            {
                revised = await _agent.Planner.ReviseAsync(_run, new PlanFailure(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], failed.StepId, failed.Error ?? "unknown error"), cancellationToken).ConfigureAwait(false);
            }
            catch (PlanningFailedException ex)
            {
                return (AgentRunStatus.Failed, $"{result.Error} Replanning failed: {ex.Message}");
            }

            _replans++;
            _plan = revised;
            AddVersion(revised);
            await EmitAsync(new Replanned { Timestamp = Now, Progress = _runEvents.Progress, Replan = _replans, FailedStepId = failed.StepId, Error = failed.Error ?? string.Empty, Plan = revised }).ConfigureAwait(false);
        }
    }

    private StepRecord RecordOf(string id) =>
        _records.TryGetValue(id, out var record) ? record : new StepRecord { StepId = id, Status = StepStatus.Pending };

    private void AddVersion(Plan plan) => _versions.Add(plan.Goal is null ? plan with { Goal = _goal } : plan);

    private int CountEvents<T>(Func<T, bool> predicate)
        where T : ExecutionEvent
    {
        lock (_eventsLock)
        {
            return _events.OfType<T>().Count(predicate);
        }
    }

    private ValueTask EmitAsync(ExecutionEvent executionEvent) => _runEvents.EmitAsync(executionEvent);

    /// <summary>Opens the run's event stream with <see cref="RunStarted"/>, once (a resumption that plans afresh does not open it twice).</summary>
    private ValueTask StartAsync(bool resumed)
    {
        if (_started)
        {
            return ValueTask.CompletedTask;
        }

        _started = true;
        return EmitAsync(new RunStarted { Timestamp = Now, RunId = _runId, Goal = _goal, Resumed = resumed });
    }
}
