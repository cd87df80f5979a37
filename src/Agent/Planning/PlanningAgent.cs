using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Telemetry;

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
    private readonly IRunStore? _store;

    /// <summary>Creates an agent over a kernel.</summary>
    /// <param name="kernel">The kernel with the host's chat service and the plugins steps may call.</param>
    /// <param name="options">Defaults for every run; validated here.</param>
    /// <param name="prompts">The prompts; loaded from <see cref="PlansmithOptions.PromptsDirectory"/> and the built-in set when null.</param>
    /// <param name="approver">Who approves plans; every plan is approved when null.</param>
    /// <param name="timeProvider">The clock; the system clock when null.</param>
    /// <param name="loggerFactory">Where to log; nowhere when null.</param>
    /// <param name="runStore">Where runs are recorded for history, reports and resume; not recorded when null.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="PromptLibraryException">A prompt is missing or broken.</exception>
    public PlanningAgent(
        Kernel kernel,
        PlansmithOptions? options = null,
        PromptLibrary? prompts = null,
        IPlanApprover? approver = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IRunStore? runStore = null)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        _store = runStore;
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
    /// <remarks>
    /// With a run store, the run is recorded and owned (a lease renewed on the agent's clock) until
    /// it ends. If the store fails or the run's lease is lost, the run stops and a
    /// <see cref="RunStoreException"/> is thrown; what was stored before stays stored.
    /// </remarks>
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
    /// Resumes a stored run: reloads its latest plan and results, runs no completed step again,
    /// re-runs the steps that were running when it stopped (recording those that may have had side
    /// effects as unverified), and carries on to the answer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The agent has no run store; the message names how to give it one.</exception>
    /// <exception cref="RunStoreException">
    /// No run has this id, it already completed, it is live in another process
    /// (<see cref="RunStoreError.Owned"/>), or the store failed during the run.
    /// </exception>
    public Task<AgentRunResult> ResumeAsync(string runId, PlansmithOptions? options = null, CancellationToken cancellationToken = default) =>
        ResumeCoreAsync(runId, options, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>Resumes a stored run and streams its events; see <see cref="ResumeAsync"/>.</summary>
    public IAsyncEnumerable<ExecutionEvent> ResumeStreamingAsync(string runId, PlansmithOptions? options = null, CancellationToken cancellationToken = default) =>
        EventStream.ReadAsync((emit, token) => ResumeCoreAsync(runId, options, emit, token), cancellationToken);

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
        using var span = PlansmithTelemetry.Start("invoke_agent", "plansmith");
        var run = new Run(this, goal, context, options, sink);
        using var halted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Halted);
        try
        {
            return Record(span, await run.ExecuteAsync(halted.Token).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not RunStoreException && run.StoreFailure is { } failure)
        {
            // Whatever the halt caused on its way out, the cause is the store.
            throw failure.Again();
        }
        finally
        {
            await run.EndAsync().ConfigureAwait(false);
            run.Dispose();
        }
    }

    private async Task<AgentRunResult> ResumeCoreAsync(string runId, PlansmithOptions? runOptions, Func<ExecutionEvent, ValueTask> sink, CancellationToken cancellationToken)
    {
        var store = _store ?? throw new InvalidOperationException(
            "Resuming needs a run store, and this agent has none. With dependency injection, chain .UseSqliteRunStore(path) " +
            "(or .UseRunStore(…)) onto services.AddPlansmith(…); without it, pass runStore: new SqliteRunStore(path) to the PlanningAgent constructor.");
        var options = runOptions ?? _options;
        options.Validate();

        // Owned first, read second: once claimed, nobody else changes the run under us.
        await store.ClaimRunAsync(runId, cancellationToken).ConfigureAwait(false);
        Run? run = null;
        try
        {
            var stored = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
                         ?? throw new RunStoreException($"Run '{runId}' vanished from the run store as it was resumed.", RunStoreError.Vanished, null);
            using var span = PlansmithTelemetry.Start("invoke_agent", "plansmith");
            span?.SetTag("plansmith.resumed", true);
            run = new Run(this, stored.Info.Goal, null, options, sink);
            run.Own(runId);
            using var halted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Halted);
            try
            {
                return Record(span, await run.ResumeAsync(stored, halted.Token).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is not RunStoreException && run.StoreFailure is { } failure)
            {
                throw failure.Again();
            }
        }
        finally
        {
            if (run is null)
            {
                await ReleaseQuietlyAsync(store, runId).ConfigureAwait(false);
            }
            else
            {
                await run.EndAsync().ConfigureAwait(false);
                run.Dispose();
            }
        }
    }

    /// <summary>Gives up a lease on the way out of a failure; a failure to do so is logged (the lease then lapses).</summary>
    private async Task ReleaseQuietlyAsync(IRunStore store, string runId)
    {
        try
        {
            await store.ReleaseRunAsync(runId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RunStoreException ex)
        {
            Log.ReleaseFailed(_logger, runId, ex.Message);
        }
    }

    private static AgentRunResult Record(System.Diagnostics.Activity? span, AgentRunResult result)
    {
        var status = result.Status.ToString().ToLowerInvariant();
        span?.SetTag("plansmith.run.status", status);
        span?.SetTag("plansmith.run.id", result.RunId);
        span?.SetTag("plansmith.replans", result.Replans);
        PlansmithTelemetry.SetUsage(span, result.Usage);
        if (result.Status is not (AgentRunStatus.Completed or AgentRunStatus.Answered))
        {
            PlansmithTelemetry.Fail(span, result.Error ?? status);
        }

        var tag = new KeyValuePair<string, object?>("status", status);
        PlansmithTelemetry.Runs.Add(1, tag);
        PlansmithTelemetry.RunDuration.Record(result.Duration.TotalSeconds, tag);
        PlansmithTelemetry.Tokens.Add(result.Usage.InputTokens, new KeyValuePair<string, object?>("type", "input"));
        PlansmithTelemetry.Tokens.Add(result.Usage.OutputTokens, new KeyValuePair<string, object?>("type", "output"));
        if (result.Replans > 0)
        {
            PlansmithTelemetry.Replans.Add(result.Replans);
        }

        return result;
    }

    /// <summary>What the store records when a run starts: never a key.</summary>
    private RunInfo Describe(string goal, PlansmithOptions options)
    {
        var service = _kernel.Services.GetService(typeof(Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService)) as Microsoft.SemanticKernel.ChatCompletion.IChatCompletionService;
        var model = service is null ? "unknown model" : Microsoft.SemanticKernel.Services.AIServiceExtensions.GetModelId(service) ?? service.GetType().Name;
        var endpoint = service?.Attributes.TryGetValue("Endpoint", out var e) == true && e is not null ? $" at {e}" : string.Empty;
        var tools = _kernel.Plugins.SelectMany(p => p.Select(f => $"{p.Name}.{f.Name}({string.Join(",", f.Metadata.Parameters.Select(x => x.Name))})")).Order(StringComparer.Ordinal).ToList();
        var prompts = string.Join(";", Prompts.List().Select(p => p.Name + "=" + Hash(p.Template)[..8]));
        var optionsJson = System.Text.Json.JsonSerializer.Serialize(new
        {
            options.MaxSteps, options.MaxReplans, options.MaxDepth, options.MaxReflectionRounds, options.MaxPlanAttempts, options.MaxToolCallsPerStep, options.UseRouter,
            options.Execution.MaxParallelism, options.Execution.MaxRetries, StepTimeout = options.Execution.StepTimeout.ToString(),
            options.Budget.MaxModelCalls, options.Budget.MaxTokens, MaxDuration = options.Budget.MaxDuration.ToString(), Agents = options.Agents.Keys,
            Metadata = options.RunMetadata,
        });
        return new RunInfo(goal, model + endpoint, optionsJson, prompts, Hash(string.Join("\n", tools)), tools);
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];

    /// <summary>Whether running the step again cannot repeat a side effect.</summary>
    private bool IsIdempotent(PlanStep? step)
    {
        if (step?.Tool is null || !ToolResolver.TryResolve(_kernel.Plugins, step.Tool, out var function))
        {
            return false;
        }

        return function.Metadata.AdditionalProperties.TryGetValue("idempotent", out var flag) && flag is true
               || function.UnderlyingMethod?.GetCustomAttributes(typeof(IdempotentAttribute), inherit: false).Length > 0;
    }

    private PlanExecutor CreateExecutor(RunScope scope)
    {
        var chat = new ChatStepExecutor(scope);
        IStepExecutor[] executors = [new ToolStepExecutor(), new VerifyStepExecutor(scope), new SubgoalStepExecutor(scope, chat), chat];

        // Steps run on a clone whose filter charges model calls that plugins make (a tool that
        // invokes one of the prompts) to the run's budget and usage.
        var kernel = _kernel.Clone();
        kernel.FunctionInvocationFilters.Add(new NestedModelCallFilter(scope.Gateway.Meter, Prompts, Prompts.Get(PromptNames.StepExecute), charge: true));
        return new PlanExecutor(kernel, executors, scope.Options.Execution, _time, _loggerFactory.CreateLogger<PlanExecutor>());
    }

    /// <summary>The state of one run.</summary>
    private sealed class Run : IDisposable
    {
        /// <summary>How many times an answer that was not whole is asked for again.</summary>
        private const int AnswerReasks = 2;

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
        private readonly CancellationTokenSource _halt = new();
        private Plan? _plan;
        private int _replans;
        private string? _runId;
        private RunStoreException? _storeFailure;
        private RunLeaseKeeper? _keeper;
        private RunRecorder? _recorder;
        private bool _owning;
        private bool _started;

        public Run(PlanningAgent agent, string goal, string? context, PlansmithOptions options, Func<ExecutionEvent, ValueTask> sink)
        {
            _agent = agent;
            _goal = goal;
            _context = context;
            _options = options;
            _startedAt = agent._time.GetUtcNow();
            _meter = new RunMeter(options.Budget, agent._time);
            _runEvents = new RunEvents(
                async e =>
                {
                    // Stored first: a step counts as completed only once its output is in the store.
                    if (_agent._store is { } store && _runId is { } id)
                    {
                        // Through the recorder: answer pieces are stored merged, every other event at once.
                        var recorder = LazyInitializer.EnsureInitialized(ref _recorder, () => new RunRecorder(store, id));
                        await StoreAsync(() => recorder.RecordAsync(e, CancellationToken.None)).ConfigureAwait(false);
                    }

                    lock (_eventsLock)
                    {
                        _events.Add(e);
                    }

                    await sink(e).ConfigureAwait(false);
                },
                agent._time);
            _gateway = new ModelGateway(agent._kernel, agent.Prompts, _meter);
            _planner = new PromptPlanner(_gateway, agent._kernel, options, _runEvents);
            _scope = new RunScope(goal, _gateway, _planner, options, _runEvents, agent.CreateExecutor);
        }

        private DateTimeOffset Now => _agent._time.GetUtcNow();

        /// <summary>Cancelled when the store fails or the lease is lost: the run must stop.</summary>
        public CancellationToken Halted => _halt.Token;

        /// <summary>The store failure that stopped the run, or null.</summary>
        public RunStoreException? StoreFailure => Volatile.Read(ref _storeFailure);

        public void Dispose()
        {
            _meter.Dispose();
            _halt.Dispose();
        }

        /// <summary>This run now owns <paramref name="runId"/> in the store: keep its lease alive.</summary>
        public void Own(string runId)
        {
            _runId = runId;
            _owning = true;
            _keeper = new RunLeaseKeeper(_agent._store!, runId, _agent._time, Fail);
        }

        /// <summary>Stops the heartbeat and gives up the lease (after the end is stored, or after a failure).</summary>
        public async Task EndAsync()
        {
            if (_keeper is { } keeper)
            {
                _keeper = null;
                await keeper.DisposeAsync().ConfigureAwait(false);
            }

            if (_owning && _agent._store is { } store && _runId is { } id)
            {
                _owning = false;
                await _agent.ReleaseQuietlyAsync(store, id).ConfigureAwait(false);
            }
        }

        /// <summary>The first store failure stops the run: no step starts after it, no later write is tried.</summary>
        private void Fail(RunStoreException failure)
        {
            if (Interlocked.CompareExchange(ref _storeFailure, failure, null) is null)
            {
                Log.StoreFailed(_agent._logger, _runId ?? "(new)", failure.Message);

                // Not inline: the caller may be deep in a step or the lease timer.
                _ = _halt.CancelAsync();
            }
        }

        private void ThrowIfStoreFailed()
        {
            if (StoreFailure is { } failure)
            {
                throw failure.Again();
            }
        }

        private async Task StoreAsync(Func<Task> write)
        {
            ThrowIfStoreFailed();
            try
            {
                await write().ConfigureAwait(false);
            }
            catch (RunStoreException ex)
            {
                Fail(ex);
                throw;
            }
        }

        public async Task<AgentRunResult> ExecuteAsync(CancellationToken cancellationToken)
        {
            Log.RunStarting(_agent._logger, _options.MaxSteps, _options.Execution.MaxParallelism);
            if (_agent._store is { } store && _runId is null)
            {
                Own(await store.CreateRunAsync(_agent.Describe(_goal, _options), cancellationToken).ConfigureAwait(false));
            }

            await StartAsync(resumed: false).ConfigureAwait(false);

            AgentRunStatus status;
            string? error = null;
            try
            {
                if (_options.UseRouter)
                {
                    var decision = await _planner.RouteAsync(_goal, cancellationToken).ConfigureAwait(false);
                    await EmitAsync(new RouteDecided { Timestamp = Now, NeedsPlan = decision.NeedsPlan }).ConfigureAwait(false);
                    if (!decision.NeedsPlan)
                    {
                        await EmitAsync(new AnswerCompleted { Timestamp = Now, Answer = decision.Answer, Partial = false }).ConfigureAwait(false);
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
            var unverified = interrupted.Where(id => !_agent.IsIdempotent(_plan.FindStep(id))).ToList();
            if (_agent._store is { } store)
            {
                await StoreAsync(() => store.MarkUnverifiedAsync(stored.Id, unverified, cancellationToken)).ConfigureAwait(false);
            }

            var now = _agent.Describe(_goal, _options);
            var warnings = new List<string>();
            if (now.PromptsFingerprint != stored.Info.PromptsFingerprint)
            {
                var changed = now.PromptsFingerprint.Split(';').Except(stored.Info.PromptsFingerprint.Split(';')).Select(p => p.Split('=')[0]).ToList();
                warnings.Add($"The prompts changed since the run started ({string.Join(", ", changed)}); the rest of the run uses the current ones.");
            }

            if (now.ToolsFingerprint != stored.Info.ToolsFingerprint)
            {
                var added = now.ToolNames.Except(stored.Info.ToolNames).ToList();
                var removed = stored.Info.ToolNames.Except(now.ToolNames).ToList();
                warnings.Add($"The tools changed since the run started (added: {(added.Count == 0 ? "none" : string.Join(", ", added))}; removed or changed: {(removed.Count == 0 ? "none" : string.Join(", ", removed))}).");
            }

            foreach (var warning in warnings)
            {
                Log.ResumeWarning(_agent._logger, stored.Id, warning);
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
            var plan = await _planner.CreateAsync(_goal, _context, cancellationToken).ConfigureAwait(false);
            var attempt = CountEvents<PlanRejected>(e => e.Stage == PromptNames.PlanCreate) + 1;
            AddVersion(plan);
            await EmitAsync(new PlanCreated { Timestamp = Now, Plan = plan, Attempt = attempt }).ConfigureAwait(false);

            for (var round = 1; round <= _options.MaxReflectionRounds; round++)
            {
                var outcome = await _planner.ReflectAsync(plan, cancellationToken).ConfigureAwait(false);
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
                    revised = await _planner.ReviseAsync(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], failed.StepId, failed.Error ?? "unknown error", cancellationToken).ConfigureAwait(false);
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

        private async Task<(string Answer, string? Error)> SynthesizeAsync(AgentRunStatus status, string? error, CancellationToken cancellationToken)
        {
            var plan = _plan ?? new Plan([], _goal);
            var notes = status is AgentRunStatus.BudgetExhausted or AgentRunStatus.Failed
                ? await _agent.Prompts.RenderFragmentAsync(PromptNames.Synthesize, new SynthesizeNoteInputs(error ?? "unknown") { Budget = status == AgentRunStatus.BudgetExhausted }, cancellationToken).ConfigureAwait(false)
                : string.Empty;
            var inputs = new SynthesizeInputs(
                _goal,
                plan.Steps.Count == 0 ? "none" : PromptText.Results(plan, [.. plan.Steps.Select(s => RecordOf(s.Id))], _options.MaxOutputCharsInPrompt),
                notes)
            {
                Partial = status switch
                {
                    AgentRunStatus.BudgetExhausted => AnswerPartiality.Stopped,
                    AgentRunStatus.Failed => AnswerPartiality.StepsFailed,
                    _ => AnswerPartiality.None,
                },
                PartialReason = status is AgentRunStatus.BudgetExhausted or AgentRunStatus.Failed ? error : null,
            };

            // The answer's own calls are always allowed, so that a run stopped by its budget still
            // answers. The first is streamed; an answer that is not whole (cut off, empty, garbage,
            // an error event, stalled, truncated at the token limit) is discarded and asked again
            // without streaming, a bounded number of times. An error status after the HTTP client's
            // retries, or a spent total timeout, is not asked again.
            var problems = new List<string>();
            var attempts = 0;
            for (var attempt = 0; attempt <= AnswerReasks; attempt++)
            {
                string text;
                attempts++;
                try
                {
                    text = attempt == 0
                        ? await StreamAnswerAsync(inputs, cancellationToken).ConfigureAwait(false)
                        : (await _gateway.InvokeAsync(inputs, always: true, cancellationToken: cancellationToken).ConfigureAwait(false)).GetValue<string>() ?? string.Empty;
                }
                catch (Exception ex) when (ex is not RunStoreException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
                {
                    // Any provider fault (connector exceptions differ by path and provider): the
                    // run's results stand, and the missing answer is reported, not thrown. A store
                    // failure is not the model's: it stops the run.
                    var problem = ex is ModelCallException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                    Log.AnswerFailed(_agent._logger, problem);
                    problems.Add(problem);
                    if (ex is ModelCallException { IsIncomplete: true })
                    {
                        continue;
                    }

                    break;
                }

                if (string.IsNullOrWhiteSpace(text))
                {
                    const string Empty = "The model returned an empty answer.";
                    Log.AnswerFailed(_agent._logger, Empty);
                    problems.Add(Empty);
                    continue;
                }

                if (text.Length > _options.MaxAnswerChars)
                {
                    // A runaway reply: keep what fits, say where it was cut, and do not call the run complete.
                    var cut = text[.._options.MaxAnswerChars] + $"\n\n[… the answer was cut at {_options.MaxAnswerChars:N0} characters]";
                    await EmitAsync(new AnswerCompleted { Timestamp = Now, Progress = _runEvents.Progress, Answer = cut, Partial = true }).ConfigureAwait(false);
                    return (cut, $"The model's answer ran past {_options.MaxAnswerChars:N0} characters and was cut there. Raise Plansmith:MaxAnswerChars if longer answers are expected.");
                }

                await EmitAsync(new AnswerCompleted { Timestamp = Now, Progress = _runEvents.Progress, Answer = text, Partial = status != AgentRunStatus.Completed }).ConfigureAwait(false);
                return (text, null);
            }

            return (string.Empty, $"No complete answer could be written in {attempts} attempt(s); the step results are in the run record. {string.Join(" ", problems.Distinct(StringComparer.Ordinal))}");
        }

        /// <summary>Streams the answer, reporting each piece; the text only when the stream ended whole.</summary>
        private async Task<string> StreamAnswerAsync(SynthesizeInputs inputs, CancellationToken cancellationToken)
        {
            var answer = new StringBuilder();
            await foreach (var piece in _gateway.InvokeStreamingAsync(inputs, always: true, cancellationToken).ConfigureAwait(false))
            {
                var room = _options.MaxAnswerChars + 1 - answer.Length;
                var kept = piece.Length <= room ? piece : piece[..room];
                answer.Append(kept);
                await EmitAsync(new AnswerDelta { Timestamp = Now, Progress = _runEvents.Progress, Text = kept }).ConfigureAwait(false);
                if (answer.Length > _options.MaxAnswerChars)
                {
                    // Past the cap: stop reading (leaving the loop closes the stream); the caller cuts and reports it.
                    break;
                }
            }

            return answer.ToString();
        }

        private async Task<AgentRunResult> FinishAsync(AgentRunStatus status, string answer, string? error)
        {
            // A run halted by its store ends with the store's error, not as cancelled or failed.
            ThrowIfStoreFailed();
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
            if (_agent._store is { } store && _runId is { } id)
            {
                await StoreAsync(() => store.CompleteRunAsync(id, status, answer, error, result.Usage, CancellationToken.None)).ConfigureAwait(false);
            }

            result = result with { RunId = _runId };
            var completed = new RunCompleted { Timestamp = Now, Progress = _runEvents.Progress, Result = result };
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Agent run starting (at most {MaxSteps} steps, {MaxParallelism} at once)")]
        public static partial void RunStarting(ILogger logger, int maxSteps, int maxParallelism);

        [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Agent run ended {Status} after {ModelCalls} model calls and {Tokens} tokens")]
        public static partial void RunEnded(ILogger logger, AgentRunStatus status, int modelCalls, long tokens);

        // Information, not Warning: the run result's error says it, and so does every display of it.
        [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "The answer could not be written: {Error}")]
        public static partial void AnswerFailed(ILogger logger, string error);

        // Information, not Warning: RunResumed carries the warnings for the display to show.
        [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Resuming run {RunId}: {Warning}")]
        public static partial void ResumeWarning(ILogger logger, string runId, string warning);

        [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "Run {RunId} stopped: {Error}")]
        public static partial void StoreFailed(ILogger logger, string runId, string error);

        [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "The lease on run {RunId} could not be released (it will lapse by itself): {Error}")]
        public static partial void ReleaseFailed(ILogger logger, string runId, string error);
    }
}
