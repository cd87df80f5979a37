using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>A run began: always the first event of an agent run (and of each resumption).</summary>
public sealed record RunStarted : ExecutionEvent
{
    /// <summary>The run's id in the run store, or null when the run is not recorded.</summary>
    public string? RunId { get; init; }

    /// <summary>What the user asked for.</summary>
    public required string Goal { get; init; }

    /// <summary>Whether this continues a stored run.</summary>
    public bool Resumed { get; init; }
}

/// <summary>The router decided: a plan is needed, or the request was answered at once.</summary>
public sealed record RouteDecided : ExecutionEvent
{
    /// <summary>Whether the goal needs a plan.</summary>
    public bool NeedsPlan { get; init; }
}

/// <summary>The planner produced a plan that passed validation.</summary>
public sealed record PlanCreated : ExecutionEvent
{
    /// <summary>The plan.</summary>
    public required Plan Plan { get; init; }

    /// <summary>The attempt that produced it, from 1.</summary>
    public int Attempt { get; init; }
}

/// <summary>A plan from the model was rejected; the problems go back to the model when attempts remain.</summary>
public sealed record PlanRejected : ExecutionEvent
{
    /// <summary>Which prompt produced it: <c>plan_create</c>, <c>plan_reflect</c>, <c>plan_revise</c> or <c>plan_decompose</c>.</summary>
    public required string Stage { get; init; }

    /// <summary>The attempt that was rejected, from 1.</summary>
    public int Attempt { get; init; }

    /// <summary>Every problem found.</summary>
    public required IReadOnlyList<PlanProblem> Problems { get; init; }
}

/// <summary>A round of critique ended: the plan was approved, or replaced by <see cref="Plan"/>.</summary>
public sealed record PlanReflected : ExecutionEvent
{
    /// <summary>The round, from 1.</summary>
    public int Round { get; init; }

    /// <summary>Whether the critic approved the plan as it was.</summary>
    public bool Approved { get; init; }

    /// <summary>What the critic found.</summary>
    public required IReadOnlyList<string> Issues { get; init; }

    /// <summary>The plan after the round.</summary>
    public required Plan Plan { get; init; }
}

/// <summary>The plan waits for approval.</summary>
public sealed record PlanApprovalRequested : ExecutionEvent
{
    /// <summary>The plan to approve.</summary>
    public required Plan Plan { get; init; }
}

/// <summary>The plan that will run, after approval: as it was, or as the approver edited it.</summary>
public sealed record PlanApproved : ExecutionEvent
{
    /// <summary>The plan that will run.</summary>
    public required Plan Plan { get; init; }

    /// <summary>Whether the approver edited it.</summary>
    public bool Edited { get; init; }
}

/// <summary>A stored run is being resumed; <see cref="Warnings"/> names what changed since it started.</summary>
public sealed record RunResumed : ExecutionEvent
{
    /// <summary>The stored run's id.</summary>
    public required string RunId { get; init; }

    /// <summary>Steps whose outputs were restored.</summary>
    public required IReadOnlyList<string> CompletedSteps { get; init; }

    /// <summary>Steps that were running when the run stopped and may have had side effects.</summary>
    public required IReadOnlyList<string> Unverified { get; init; }

    /// <summary>What changed since the run started (prompts, tools).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }
}

/// <summary>A step failed for good and a revised plan for the remaining work replaces the rest.</summary>
public sealed record Replanned : ExecutionEvent
{
    /// <summary>The replan's number, from 1.</summary>
    public int Replan { get; init; }

    /// <summary>The step that failed.</summary>
    public required string FailedStepId { get; init; }

    /// <summary>Why it failed.</summary>
    public required string Error { get; init; }

    /// <summary>The revised plan.</summary>
    public required Plan Plan { get; init; }
}

/// <summary>A subgoal step was expanded into a child plan.</summary>
public sealed record SubplanCreated : ExecutionEvent
{
    /// <summary>The subgoal step.</summary>
    public required string ParentStepId { get; init; }

    /// <summary>The child plan's depth, from 1.</summary>
    public int Depth { get; init; }

    /// <summary>The child plan.</summary>
    public required Plan Plan { get; init; }
}

/// <summary>An event of a child plan, relayed with the subgoal step it belongs to.</summary>
public sealed record SubplanEvent : ExecutionEvent
{
    /// <summary>The subgoal step.</summary>
    public required string ParentStepId { get; init; }

    /// <summary>The child plan's depth, from 1.</summary>
    public int Depth { get; init; }

    /// <summary>The child plan's event.</summary>
    public required ExecutionEvent Inner { get; init; }
}

/// <summary>A limit of the run's budget was reached: no new step starts.</summary>
public sealed record BudgetExhausted : ExecutionEvent
{
    /// <summary>Which limit, in words.</summary>
    public required string Reason { get; init; }
}

/// <summary>A piece of the answer as the model writes it.</summary>
public sealed record AnswerDelta : ExecutionEvent
{
    /// <summary>The piece.</summary>
    public required string Text { get; init; }
}

/// <summary>The answer is written.</summary>
public sealed record AnswerCompleted : ExecutionEvent
{
    /// <summary>The answer in Markdown.</summary>
    public required string Answer { get; init; }

    /// <summary>Whether it was written from partial results (a failure or a budget stopped the plan).</summary>
    public bool Partial { get; init; }
}

/// <summary>The run is over. Always the last event of an agent run.</summary>
public sealed record RunCompleted : ExecutionEvent
{
    /// <summary>Everything the run produced.</summary>
    public required AgentRunResult Result { get; init; }
}
