using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The one fold of a run's events into its state (<c>events → run state</c>), shared by every
/// store: a store appends each event and applies this to the snapshot it keeps, so every store
/// answers alike. Pure: no clock, no I/O; the same events give the same state.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Plan versions: <see cref="PlanCreated"/>, <see cref="PlanReflected"/> that replaced the plan,
/// <see cref="PlanApproved"/> and <see cref="Replanned"/> each add one (<see cref="PlanVersionOf"/>).</item>
/// <item>Steps: <see cref="StepStarted"/> makes a step running (its earlier output and error gone),
/// <see cref="StepRetrying"/> and <see cref="StepFallbackStarted"/> record the attempts and the last
/// error, <see cref="StepCompleted"/>, <see cref="StepFailed"/> and <see cref="StepSkipped"/> end it
/// (<see cref="ApplyToStep"/>). <see cref="RunResumed"/> marks its unverified steps, for good.</item>
/// <item>The run (<see cref="ApplyToHeader"/>): <see cref="RunStarted"/> opens a session (running,
/// no answer, error or end yet); <see cref="PlanApprovalRequested"/> and <see cref="PlanApproved"/>
/// open and close the wait for approval; <see cref="AnswerDelta"/> extends the answer as it streams
/// and <see cref="AnswerCompleted"/> replaces it whole; <see cref="RunCompleted"/> ends the session
/// (<see cref="Complete"/>).</item>
/// </list>
/// Events of child plans (<see cref="SubplanEvent"/>) change no top-level step.
/// </remarks>
public static class RunProjection
{
    /// <summary>The state of a run before any event: running, no plan, no steps.</summary>
    public static StoredRun Start(string runId, RunInfo info, DateTimeOffset startedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(info);
        return new StoredRun { Id = runId, Info = info, Status = StoredRunStatus.Running, StartedAt = startedAt };
    }

    /// <summary>Folds <paramref name="events"/>, in order, into <paramref name="run"/>.</summary>
    public static StoredRun Fold(StoredRun run, IEnumerable<ExecutionEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var executionEvent in events)
        {
            run = Apply(run, executionEvent);
        }

        return run;
    }

    /// <summary>
    /// <paramref name="run"/> after <paramref name="executionEvent"/>: its plan versions, steps and
    /// run-level state. The stored events (<see cref="StoredRun.Events"/>) are the store's to append.
    /// </summary>
    public static StoredRun Apply(StoredRun run, ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(executionEvent);
        var plans = PlanVersionOf(executionEvent) is { } plan ? [.. run.PlanVersions, plan with { Goal = run.Info.Goal }] : run.PlanVersions;
        var steps = run.Steps;
        if (StepIdOf(executionEvent) is { } stepId)
        {
            steps = Replace(steps, stepId, step => ApplyToStep(step, executionEvent), addMissing: true);
        }

        foreach (var unverified in UnverifiedBy(executionEvent))
        {
            steps = Replace(steps, unverified, step => MarkUnverified(step!), addMissing: false);
        }

        return ApplyToHeader(RunHeader.Of(run), executionEvent).ApplyTo(run) with { PlanVersions = plans, Steps = steps };
    }

    /// <summary>The plan version an event adds, or null when it adds none (a critique that approved the plan as it was adds none).</summary>
    public static Plan? PlanVersionOf(ExecutionEvent executionEvent) => executionEvent switch
    {
        PlanCreated e => e.Plan,
        PlanReflected { Approved: false } e => e.Plan,
        PlanApproved e => e.Plan,
        Replanned e => e.Plan,
        _ => null,
    };

    /// <summary>The top-level step an event changes, or null when it changes none.</summary>
    public static string? StepIdOf(ExecutionEvent executionEvent) => executionEvent switch
    {
        StepStarted e => e.StepId,
        StepRetrying e => e.StepId,
        StepFallbackStarted e => e.StepId,
        StepCompleted e => e.StepId,
        StepFailed e => e.StepId,
        StepSkipped e => e.StepId,
        _ => null,
    };

    /// <summary>The step <paramref name="step"/> (null: one nothing has happened to yet) after an event that <see cref="StepIdOf"/> names it in.</summary>
    /// <exception cref="ArgumentException">The event changes no step, or another one.</exception>
    public static StoredStep ApplyToStep(StoredStep? step, ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        var stepId = StepIdOf(executionEvent) ?? throw new ArgumentException($"A {executionEvent.GetType().Name} changes no step.", nameof(executionEvent));
        if (step is not null && step.StepId != stepId)
        {
            throw new ArgumentException($"The event is about step '{stepId}', not '{step.StepId}'.", nameof(executionEvent));
        }

        var state = step ?? StoredStep.Pending(stepId);
        var at = executionEvent.Timestamp;
        return executionEvent switch
        {
            StepStarted => state with { Status = StepStatus.Running, Output = null, Error = null, StartedAt = at, EndedAt = null },
            StepRetrying e => state with { Attempts = e.FailedAttempt, Error = e.Error },
            StepFallbackStarted e => state with { Error = e.Error },
            StepCompleted e => state with { Status = StepStatus.Completed, Output = e.Output, Error = null, Attempts = e.Attempts, EndedAt = at, Usage = e.Usage },
            StepFailed e => state with { Status = StepStatus.Failed, Output = null, Error = e.Error, Attempts = e.Attempts, EndedAt = at },
            StepSkipped e => state with { Status = StepStatus.Skipped, Output = null, Error = e.Reason, EndedAt = at },
            _ => state,
        };
    }

    /// <summary>The steps an event marks unverified (they were running when the run stopped and may have had effects).</summary>
    public static IReadOnlyList<string> UnverifiedBy(ExecutionEvent executionEvent) =>
        executionEvent is RunResumed resumed ? resumed.Unverified : [];

    /// <summary>The step, marked unverified: it stays so, whatever happens to it later.</summary>
    public static StoredStep MarkUnverified(StoredStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        return step with { Unverified = true };
    }

    /// <summary>The run-level state after an event.</summary>
    public static RunHeader ApplyToHeader(RunHeader header, ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(executionEvent);
        return executionEvent switch
        {
            RunStarted => header with { Status = StoredRunStatus.Running, Answer = string.Empty, Error = null, EndedAt = null },
            AnswerDelta e => header with { Answer = header.Answer + e.Text },
            AnswerCompleted e => header with { Answer = e.Answer },
            RunCompleted e => Complete(header, e.Result.Status, e.Result.Answer, e.Result.Error, e.Result.Usage, e.Timestamp),
            _ => ApprovalAfter(executionEvent.GetType().Name) is { } awaits ? header with { AwaitsApproval = awaits } : header,
        };
    }

    /// <summary>
    /// The run-level state once its session ended: the status, answer and error it ended with. A
    /// session ends once: the first record of its end counts its usage and time, a repeat (the
    /// store's <see cref="IRunStore.CompleteRunAsync"/>, then the <see cref="RunCompleted"/> event)
    /// only restates status, answer and error.
    /// </summary>
    public static RunHeader Complete(RunHeader header, AgentRunStatus status, string answer, string? error, TokenUsage usage, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(answer);
        var ended = header with { Status = status.ToStored(), Answer = answer, Error = error };
        return header.EndedAt is not null
            ? ended
            : ended with
            {
                EndedAt = at,
                Usage = new TokenUsage(header.Usage.ModelCalls + usage.ModelCalls, header.Usage.InputTokens + usage.InputTokens, header.Usage.OutputTokens + usage.OutputTokens),
            };
    }

    /// <summary>
    /// Whether a run waits for approval after events of these types, in order: the same rule as
    /// <see cref="ApplyToHeader"/>, for a store that keeps no snapshot of it and reads it from its events.
    /// </summary>
    public static bool AwaitsApproval(IEnumerable<string> eventTypes)
    {
        ArgumentNullException.ThrowIfNull(eventTypes);
        var awaits = false;
        foreach (var type in eventTypes)
        {
            awaits = ApprovalAfter(type) ?? awaits;
        }

        return awaits;
    }

    /// <summary>Whether the run waits for approval after an event of this type; null when the event does not say.</summary>
    private static bool? ApprovalAfter(string eventType) => eventType switch
    {
        nameof(PlanApprovalRequested) => true,
        nameof(PlanApproved) => false,
        _ => null,
    };

    private static IReadOnlyList<StoredStep> Replace(IReadOnlyList<StoredStep> steps, string stepId, Func<StoredStep?, StoredStep> change, bool addMissing)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].StepId == stepId)
            {
                var changed = steps.ToArray();
                changed[i] = change(steps[i]);
                return changed;
            }
        }

        return addMissing ? [.. steps, change(null)] : steps;
    }
}
