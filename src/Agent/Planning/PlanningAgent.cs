using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Execution;
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
    private readonly bool _ownsPrompts;

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
        : this(kernel, options, new PlanningAgentServices { Prompts = prompts, Approver = approver, TimeProvider = timeProvider, LoggerFactory = loggerFactory, RunStore = runStore })
    {
    }

    /// <summary>Creates an agent from its parts; any part left null is the built-in default.</summary>
    /// <param name="kernel">The kernel with the host's chat service and the plugins steps may call.</param>
    /// <param name="options">Defaults for every run; validated here.</param>
    /// <param name="services">The agent's parts: planner, router, synthesizer, step executors, store, approver, prompts, clock, logging.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="PromptLibraryException">A prompt is missing or broken.</exception>
    public PlanningAgent(Kernel kernel, PlansmithOptions? options, PlanningAgentServices services)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(services);
        Kernel = kernel;
        Options = options ?? new PlansmithOptions();
        Options.Validate();
        Store = services.RunStore;
        Approver = services.Approver ?? new AutoApprover();
        Planner = new TracingPlanner(services.Planner ?? new PromptPlanner());
        Router = new TracingRouter(services.Router ?? new PromptRouter());
        Synthesizer = services.Synthesizer ?? new PromptSynthesizer();
        StepExecutors = services.StepExecutors;
        BuiltInStepExecutors = services.BuiltInStepExecutors;
        Time = services.TimeProvider ?? TimeProvider.System;
        LoggerFactory = services.LoggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger<PlanningAgent>();
        _ownsPrompts = services.Prompts is null;
        Prompts = services.Prompts ?? new PromptLibrary(new PromptLibraryOptions { Directory = Options.PromptsDirectory }, Time, LoggerFactory);
    }

    /// <summary>The prompts in use.</summary>
    public PromptLibrary Prompts { get; }

    internal Kernel Kernel { get; }

    internal PlansmithOptions Options { get; }

    internal IRunStore? Store { get; }

    internal IPlanApprover Approver { get; }

    internal IPlanner Planner { get; }

    internal IRouter Router { get; }

    internal ISynthesizer Synthesizer { get; }

    internal IReadOnlyList<IStepExecutor> StepExecutors { get; }

    internal bool BuiltInStepExecutors { get; }

    internal TimeProvider Time { get; }

    internal ILoggerFactory LoggerFactory { get; }

    internal ILogger Logger { get; }

    /// <summary>Runs a goal to its answer.</summary>
    /// <remarks>
    /// With a run store, the run is recorded and owned (a lease renewed on the agent's clock) until
    /// it ends. If the store fails or the run's lease is lost, the run stops and a
    /// <see cref="RunStoreException"/> is thrown; what was stored before stays stored.
    /// </remarks>
    /// <param name="goal">What the user wants.</param>
    /// <param name="options">The conversation and settings for this run; null for none and the agent's.</param>
    /// <param name="cancellationToken">Stops the run; the result then has status <see cref="AgentRunStatus.Cancelled"/>.</param>
    public Task<AgentRunResult> RunAsync(string goal, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        RunCoreAsync(goal, options, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>
    /// Runs a goal and streams every event as it happens: <see cref="RunStarted"/> first, planning
    /// events, the executor's step events, answer pieces, and last <see cref="RunCompleted"/>.
    /// Leaving the loop early cancels the run.
    /// </summary>
    public IAsyncEnumerable<ExecutionEvent> RunStreamingAsync(string goal, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        EventStream.ReadAsync((emit, token) => RunCoreAsync(goal, options, emit, token), cancellationToken);

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
    public Task<AgentRunResult> ResumeAsync(string runId, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        ResumeCoreAsync(runId, options, _ => ValueTask.CompletedTask, cancellationToken);

    /// <summary>Resumes a stored run and streams its events; see <see cref="ResumeAsync"/>.</summary>
    public IAsyncEnumerable<ExecutionEvent> ResumeStreamingAsync(string runId, RunOptions? options = null, CancellationToken cancellationToken = default) =>
        EventStream.ReadAsync((emit, token) => ResumeCoreAsync(runId, options, emit, token), cancellationToken);

    /// <summary>
    /// Makes and reviews a plan without running it: create (with validation feedback) and the
    /// reflection rounds. The router and the approver are not asked.
    /// </summary>
    /// <exception cref="PlanningFailedException">No valid plan within the allowed attempts.</exception>
    public async Task<PlanningResult> PlanAsync(string goal, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);
        var settings = SettingsFor(options);
        using var run = new AgentRun(this, goal, Conversation(options), settings, _ => ValueTask.CompletedTask);
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

    /// <summary>
    /// The executor of one plan (or child plan) of a run: the host's executors first, then the
    /// built-in ones. Collect steps (expanded map steps) come before all of them and stay without
    /// the built-in executors: they are the plan's shape, not work a host does its own way.
    /// </summary>
    internal PlanExecutor CreateExecutor(RunScope scope)
    {
        var chat = new ChatStepExecutor(scope);
        IStepExecutor[] executors = BuiltInStepExecutors
            ? [new CollectStepExecutor(), .. StepExecutors, new ToolStepExecutor(), new VerifyStepExecutor(scope), new SubgoalStepExecutor(scope, chat), chat]
            : [new CollectStepExecutor(), .. StepExecutors];

        // The run's kernel: a model call a plugin makes (a tool that invokes one of the prompts)
        // passes the run's model pipeline like any other, so it is held to the run's budget.
        return new PlanExecutor(scope.Run.Kernel.Clone(), executors, scope.Options.Execution, Time, LoggerFactory.CreateLogger<PlanExecutor>());
    }

    /// <summary>
    /// The layers every model call of a run passes, outermost first: budget, usage metering,
    /// telemetry, logging, then the host's chat service (whose function-calling loop is charged to
    /// the same budget by each model step's filter).
    /// </summary>
    internal Func<IChatCompletionService, IChatCompletionService> ModelPipeline(RunMeter meter) =>
        inner => new ModelPipelineBuilder(inner)
            .UseBudget(meter)
            .UseUsageMetering(meter)
            .UseTelemetry()
            .UseLogging(LoggerFactory)
            .Build();

    /// <summary>Gives up a lease on the way out of a failure; a failure to do so is logged (the lease then lapses).</summary>
    internal async Task ReleaseQuietlyAsync(IRunStore store, string runId)
    {
        try
        {
            await store.ReleaseRunAsync(runId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RunStoreException ex)
        {
            Log.ReleaseFailed(Logger, runId, ex.Message);
        }
    }

    private static IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> Conversation(RunOptions? options) =>
        options?.Conversation is { Count: > 0 } conversation ? [.. conversation] : [];

    private PlansmithOptions SettingsFor(RunOptions? options)
    {
        var settings = options?.Settings ?? Options;
        settings.Validate();
        return settings;
    }

    private async Task<AgentRunResult> RunCoreAsync(string goal, RunOptions? runOptions, Func<ExecutionEvent, ValueTask> sink, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(goal);
        var settings = SettingsFor(runOptions);
        using var span = PlansmithTelemetry.Start("invoke_agent", "plansmith");
        var run = new AgentRun(this, goal, Conversation(runOptions), settings, sink);
        using var halted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Halted);
        try
        {
            var result = await run.ExecuteAsync(halted.Token).ConfigureAwait(false);
            RunTelemetry.Record(span, result);
            return result;
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

    private async Task<AgentRunResult> ResumeCoreAsync(string runId, RunOptions? runOptions, Func<ExecutionEvent, ValueTask> sink, CancellationToken cancellationToken)
    {
        var store = Store ?? throw new InvalidOperationException(
            "Resuming needs a run store, and this agent has none. With dependency injection, chain .UseSqliteRunStore(path) " +
            "(or .UseRunStore(…)) onto services.AddPlansmith(…); without it, pass runStore: new SqliteRunStore(path) to the PlanningAgent constructor.");
        var settings = SettingsFor(runOptions);

        // Owned first, read second: once claimed, nobody else changes the run under us.
        await store.ClaimRunAsync(runId, cancellationToken).ConfigureAwait(false);
        AgentRun? run = null;
        try
        {
            var stored = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)
                         ?? throw new RunStoreException($"Run '{runId}' vanished from the run store as it was resumed.", RunStoreError.Vanished, null);
            using var span = PlansmithTelemetry.Start("invoke_agent", "plansmith");
            span?.SetTag("plansmith.resumed", true);
            run = new AgentRun(this, stored.Info.Goal, Conversation(runOptions), settings, sink);
            run.Own(runId);
            using var halted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, run.Halted);
            try
            {
                var result = await run.ResumeAsync(stored, halted.Token).ConfigureAwait(false);
                RunTelemetry.Record(span, result);
                return result;
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

    internal static partial class Log
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
