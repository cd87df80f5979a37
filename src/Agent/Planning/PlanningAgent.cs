using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Plansmith's front door: give it a goal and it routes, plans, reflects, asks for approval, runs
/// the plan (adapting when steps fail), and writes the answer. It uses the kernel's chat service
/// and plugins as they are; it adds no chat service.
/// </summary>
public sealed partial class PlanningAgent : IDisposable
{
    private readonly Kernel _kernel;
    private readonly PlansmithOptions _options;
    private readonly IPlanApprover _approver;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly bool _ownsPrompts;

    /// <summary>Creates an agent over a kernel.</summary>
    /// <param name="kernel">The kernel with the host's chat service and the plugins steps may call.</param>
    /// <param name="options">Defaults for every run; validated here.</param>
    /// <param name="prompts">The prompts; loaded from <see cref="PlansmithOptions.PromptsDirectory"/> and the built-in set when null.</param>
    /// <param name="approver">Who approves plans; every plan is approved when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="loggerFactory">Where to log; nowhere when null.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="PromptLibraryException">A prompt is missing or broken.</exception>
    public PlanningAgent(
        Kernel kernel,
        PlansmithOptions? options = null,
        PromptLibrary? prompts = null,
        IPlanApprover? approver = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        _kernel = kernel;
        _options = options ?? new PlansmithOptions();
        _options.Validate();
        _approver = approver ?? new AutoApprover();
        _time = timeProvider ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<PlanningAgent>();
        _ownsPrompts = prompts is null;
        Prompts = prompts ?? new PromptLibrary(new PromptLibraryOptions { Directory = _options.PromptsDirectory }, _time, _loggerFactory);
    }

    /// <summary>The prompts in use.</summary>
    public PromptLibrary Prompts { get; }

    /// <summary>Runs a goal to its answer.</summary>
    /// <param name="goal">What the user wants.</param>
    /// <param name="options">Settings for this run instead of the agent's; null for the agent's.</param>
    /// <param name="cancellationToken">Stops the run; the result then has status <see cref="AgentRunStatus.Cancelled"/>.</param>
    public Task<AgentRunResult> RunAsync(string goal, PlansmithOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(goal, null, options, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>Runs a goal with background (an earlier conversation, say) that the planner sees.</summary>
    public Task<AgentRunResult> RunAsync(string goal, string? context, PlansmithOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(goal, context, options, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>
    /// Runs a goal and streams every event as it happens: planning events, the executor's step
    /// events, answer pieces, and last <see cref="RunCompleted"/>. Leaving the loop early cancels the run.
    /// </summary>
    public IAsyncEnumerable<ExecutionEvent> RunStreamingAsync(
        string goal,
        PlansmithOptions? options = null,
        string? context = null,
        CancellationToken cancellationToken = default) =>
        EventStream.ReadAsync((emit, token) => RunCoreAsync(goal, context, options, emit, token), cancellationToken);

    /// <summary>
    /// Makes and reviews a plan without running it: create (with validation feedback) and the
    /// reflection rounds. The router and the approver are not asked.
    /// </summary>
    /// <exception cref="PlanningFailedException">No valid plan within the allowed attempts.</exception>
    public async Task<PlanningResult> PlanAsync(string goal, PlansmithOptions? options = null, string? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);
        var chosen = options ?? _options;
        chosen.Validate();
        using var run = new Run(this, goal, context, chosen, _ => ValueTask.CompletedTask);
        var plan = await run.CreateAndReflectAsync(cancellationToken).ConfigureAwait(false);
        return new PlanningResult(plan, run.Versions, run.EventsSoFar, run.Usage);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsPrompts)
        {
            Prompts.Dispose();
        }
    }

    private async Task<AgentRunResult> RunCoreAsync(string goal, string? context, PlansmithOptions? runOptions, Func<ExecutionEvent, ValueTask> sink, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);
        var options = runOptions ?? _options;
        options.Validate();
        var run = new Run(this, goal, context, options, sink);
        try
        {
            return await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            run.Dispose();
        }
    }

    private PlanExecutor CreateExecutor(RunScope scope)
    {
        var chat = new ChatStepExecutor(scope);
        IStepExecutor[] executors = [new ToolStepExecutor(), new VerifyStepExecutor(scope), new SubgoalStepExecutor(scope, chat), chat];
        return new PlanExecutor(_kernel, executors, scope.Options.Execution, _time, _loggerFactory.CreateLogger<PlanExecutor>());
    }

    /// <summary>The state of one run.</summary>
    private sealed class Run : IDisposable
    {
        private readonly PlanningAgent _agent;
        private readonly string _goal;
        private readonly string? _context;
        private readonly PlansmithOptions _options;
        private readonly List<ExecutionEvent> _events = [];
        private readonly Lock _eventsLock = new();
        private readonly List<Plan> _versions = [];
        private readonly Dictionary<string, StepRecord> _records = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _outputs = new(StringComparer.Ordinal);
        private readonly RunMeter _meter;
        private readonly RunEvents _runEvents;
        private readonly ModelGateway _gateway;
        private readonly PromptPlanner _planner;
        private readonly RunScope _scope;
        private readonly DateTimeOffset _startedAt;
        private Plan? _plan;
        private int _replans;

        public Run(PlanningAgent agent, string goal, string? context, PlansmithOptions options, Func<ExecutionEvent, ValueTask> sink)
        {
            _agent = agent;
            _goal = goal;
            _context = context;
            _options = options;
            _startedAt = agent._time.GetUtcNow();
            _meter = new RunMeter(options.Budget, agent._time);
            _runEvents = new RunEvents(
                e =>
                {
                    lock (_eventsLock)
                    {
                        _events.Add(e);
                    }

                    return sink(e);
                },
                agent._time);
            _gateway = new ModelGateway(agent._kernel, agent.Prompts, _meter);
            _planner = new PromptPlanner(_gateway, agent._kernel, options, _runEvents);
            _scope = new RunScope(goal, _gateway, _planner, options, _runEvents, agent.CreateExecutor);
        }

        private DateTimeOffset Now => _agent._time.GetUtcNow();

        public void Dispose() => _meter.Dispose();

        public async Task<AgentRunResult> ExecuteAsync(CancellationToken cancellationToken)
        {
            Log.RunStarting(_agent._logger, _options.MaxSteps, _options.Execution.MaxParallelism);
            AgentRunStatus status;
            string? error = null;
            var answer = string.Empty;
            try
            {
                if (_options.UseRouter)
                {
                    var decision = await _planner.RouteAsync(_goal, cancellationToken).ConfigureAwait(false);
                    await EmitAsync(new RouteDecided(Now, default, decision.NeedsPlan)).ConfigureAwait(false);
                    if (!decision.NeedsPlan)
                    {
                        await EmitAsync(new AnswerCompleted(Now, default, decision.Answer, Partial: false)).ConfigureAwait(false);
                        return await FinishAsync(AgentRunStatus.Answered, decision.Answer, null).ConfigureAwait(false);
                    }
                }

                if (!await PlanAsync(cancellationToken).ConfigureAwait(false))
                {
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
                await EmitAsync(new BudgetExhausted(Now, _runEvents.Progress, ex.Message)).ConfigureAwait(false);
                status = AgentRunStatus.BudgetExhausted;
                error = ex.Message;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return await FinishAsync(AgentRunStatus.Cancelled, string.Empty, "The run was cancelled.").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpOperationException or KernelException)
            {
                // A planning call failed at the provider; what ran so far is kept in the result.
                return await FinishAsync(AgentRunStatus.Failed, string.Empty, $"A model call failed while planning: {ex.Message}").ConfigureAwait(false);
            }

            if (status == AgentRunStatus.Cancelled)
            {
                return await FinishAsync(status, string.Empty, error).ConfigureAwait(false);
            }

            (answer, var answerError) = await SynthesizeAsync(status, error, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(status, answer, answerError is null ? error : (error is null ? answerError : error + " " + answerError)).ConfigureAwait(false);
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
            var plan = await _planner.CreateAsync(_goal, _context, cancellationToken).ConfigureAwait(false);
            var attempt = CountEvents<PlanRejected>(e => e.Stage == PromptNames.PlanCreate) + 1;
            AddVersion(plan);
            await EmitAsync(new PlanCreated(Now, default, plan, attempt)).ConfigureAwait(false);

            for (var round = 1; round <= _options.MaxReflectionRounds; round++)
            {
                var outcome = await _planner.ReflectAsync(plan, cancellationToken).ConfigureAwait(false);
                await EmitAsync(new PlanReflected(Now, default, round, outcome.Approved, outcome.Issues, outcome.Plan)).ConfigureAwait(false);
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
            await EmitAsync(new PlanApprovalRequested(Now, default, plan)).ConfigureAwait(false);
            var approval = await _agent._approver.ApproveAsync(plan, cancellationToken).ConfigureAwait(false);
            switch (approval.Decision)
            {
                case PlanApprovalDecision.Rejected:
                    return false;
                case PlanApprovalDecision.Edited when approval.Plan is { } edited:
                    new PlanValidator(new PlanValidationOptions { MaxSteps = _options.MaxSteps })
                        .Validate(edited with { Goal = edited.Goal ?? _goal }, _agent._kernel.Plugins, [.. _options.Agents.Keys]);
                    plan = edited with { Goal = edited.Goal ?? _goal };
                    AddVersion(plan);
                    break;
            }

            _plan = plan;
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
                    await EmitAsync(new BudgetExhausted(Now, _runEvents.Progress, reason)).ConfigureAwait(false);
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
                    revised = await _planner.ReviseAsync(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], failed.StepId, failed.Error ?? "unknown error", cancellationToken).ConfigureAwait(false);
                }
                catch (PlanningFailedException ex)
                {
                    return (AgentRunStatus.Failed, $"{result.Error} Replanning failed: {ex.Message}");
                }

                _replans++;
                _plan = revised;
                AddVersion(revised);
                await EmitAsync(new Replanned(Now, _runEvents.Progress, _replans, failed.StepId, failed.Error ?? string.Empty, revised)).ConfigureAwait(false);
            }
        }

        private async Task<(string Answer, string? Error)> SynthesizeAsync(AgentRunStatus status, string? error, CancellationToken cancellationToken)
        {
            var plan = _plan ?? new Plan([], _goal);
            var notes = status switch
            {
                AgentRunStatus.BudgetExhausted => $"Note: the plan was stopped before it finished ({error}). Answer from these partial results, and say plainly at the start that the answer is incomplete and why.",
                AgentRunStatus.Failed => $"Note: some steps failed ({error}). Answer from the results there are, and say plainly which parts of the goal they do not cover.",
                _ => string.Empty,
            };
            var inputs = new Dictionary<string, object?>
            {
                ["goal"] = _goal,
                ["results"] = plan.Steps.Count == 0 ? "No step ran." : PromptText.Results(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], _options.MaxOutputCharsInPrompt),
                ["notes"] = notes,
            };
            var answer = new StringBuilder();
            try
            {
                // The answer's own call is always allowed, so that a run stopped by its budget still answers.
                await foreach (var piece in _gateway.InvokeStreamingAsync(PromptNames.Synthesize, inputs, always: true, cancellationToken).ConfigureAwait(false))
                {
                    answer.Append(piece);
                    await EmitAsync(new AnswerDelta(Now, _runEvents.Progress, piece)).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Any provider fault (connector exceptions differ by path and provider): the run's
                // results stand, and the missing answer is reported, not thrown.
                Log.AnswerFailed(_agent._logger, ex.Message);
                return (answer.ToString(), $"The answer could not be written: {ex.Message}");
            }

            var text = answer.ToString();
            await EmitAsync(new AnswerCompleted(Now, _runEvents.Progress, text, status != AgentRunStatus.Completed)).ConfigureAwait(false);
            return (text, null);
        }

        private async Task<AgentRunResult> FinishAsync(AgentRunStatus status, string answer, string? error)
        {
            var plan = _plan ?? _versions.LastOrDefault();
            List<ExecutionEvent> events;
            lock (_eventsLock)
            {
                events = [.. _events];
            }

            var result = new AgentRunResult
            {
                Goal = _goal,
                Status = status,
                Answer = answer,
                Plan = plan,
                PlanVersions = [.. _versions],
                Steps = plan is null ? [] : [.. plan.Steps.Select(s => RecordOf(s.Id))],
                Events = events,
                Usage = _meter.Usage,
                Replans = _replans,
                StartedAt = _startedAt,
                EndedAt = Now,
                Error = error,
            };
            var completed = new RunCompleted(Now, _runEvents.Progress, result);
            result = result with { Events = [.. events, completed] };
            completed = completed with { Result = result };
            await EmitAsync(completed).ConfigureAwait(false);
            Log.RunEnded(_agent._logger, status, result.Usage.ModelCalls, result.Usage.TotalTokens);
            return result;
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
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Agent run starting (at most {MaxSteps} steps, {MaxParallelism} at once)")]
        public static partial void RunStarting(ILogger logger, int maxSteps, int maxParallelism);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Agent run ended {Status} after {ModelCalls} model calls and {Tokens} tokens")]
        public static partial void RunEnded(ILogger logger, AgentRunStatus status, int modelCalls, long tokens);

        [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "The answer could not be written: {Error}")]
        public static partial void AnswerFailed(ILogger logger, string error);
    }
}
