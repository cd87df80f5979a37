using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>The router decided: a plan is needed, or the request was answered at once.</summary>
public sealed record RouteDecided(DateTimeOffset Timestamp, ExecutionProgress Progress, bool NeedsPlan) : ExecutionEvent(Timestamp, Progress);

/// <summary>The planner produced a plan that passed validation.</summary>
public sealed record PlanCreated(DateTimeOffset Timestamp, ExecutionProgress Progress, Plan Plan, int Attempt) : ExecutionEvent(Timestamp, Progress);

/// <summary>A plan from the model was rejected; the problems go back to the model when attempts remain.</summary>
/// <param name="Timestamp">When it happened.</param>
/// <param name="Progress">Where the run stood.</param>
/// <param name="Stage">Which prompt produced it: <c>plan_create</c>, <c>plan_reflect</c>, <c>plan_revise</c> or <c>plan_decompose</c>.</param>
/// <param name="Attempt">The attempt that was rejected, from 1.</param>
/// <param name="Problems">Every problem found.</param>
public sealed record PlanRejected(DateTimeOffset Timestamp, ExecutionProgress Progress, string Stage, int Attempt, IReadOnlyList<PlanProblem> Problems) : ExecutionEvent(Timestamp, Progress);

/// <summary>A round of critique ended: the plan was approved, or replaced by <paramref name="Plan"/>.</summary>
public sealed record PlanReflected(DateTimeOffset Timestamp, ExecutionProgress Progress, int Round, bool Approved, IReadOnlyList<string> Issues, Plan Plan) : ExecutionEvent(Timestamp, Progress);

/// <summary>The plan waits for approval.</summary>
public sealed record PlanApprovalRequested(DateTimeOffset Timestamp, ExecutionProgress Progress, Plan Plan) : ExecutionEvent(Timestamp, Progress);

/// <summary>The plan that will run, after approval: as it was, or as the approver edited it.</summary>
public sealed record PlanApproved(DateTimeOffset Timestamp, ExecutionProgress Progress, Plan Plan, bool Edited) : ExecutionEvent(Timestamp, Progress);

/// <summary>A stored run is being resumed; <paramref name="Warnings"/> names what changed since it started.</summary>
public sealed record RunResumed(DateTimeOffset Timestamp, ExecutionProgress Progress, string RunId, IReadOnlyList<string> CompletedSteps, IReadOnlyList<string> Unverified, IReadOnlyList<string> Warnings) : ExecutionEvent(Timestamp, Progress);

/// <summary>A step failed for good and a revised plan for the remaining work replaces the rest.</summary>
public sealed record Replanned(DateTimeOffset Timestamp, ExecutionProgress Progress, int Replan, string FailedStepId, string Error, Plan Plan) : ExecutionEvent(Timestamp, Progress);

/// <summary>A subgoal step was expanded into a child plan.</summary>
public sealed record SubplanCreated(DateTimeOffset Timestamp, ExecutionProgress Progress, string ParentStepId, int Depth, Plan Plan) : ExecutionEvent(Timestamp, Progress);

/// <summary>An event of a child plan, relayed with the subgoal step it belongs to.</summary>
public sealed record SubplanEvent(DateTimeOffset Timestamp, ExecutionProgress Progress, string ParentStepId, int Depth, ExecutionEvent Inner) : ExecutionEvent(Timestamp, Progress);

/// <summary>A limit of the run's budget was reached: no new step starts.</summary>
public sealed record BudgetExhausted(DateTimeOffset Timestamp, ExecutionProgress Progress, string Reason) : ExecutionEvent(Timestamp, Progress);

/// <summary>A piece of the answer as the model writes it.</summary>
public sealed record AnswerDelta(DateTimeOffset Timestamp, ExecutionProgress Progress, string Text) : ExecutionEvent(Timestamp, Progress);

/// <summary>The answer is written.</summary>
/// <param name="Timestamp">When it happened.</param>
/// <param name="Progress">Where the run stood.</param>
/// <param name="Answer">The answer in Markdown.</param>
/// <param name="Partial">Whether it was written from partial results (a failure or a budget stopped the plan).</param>
public sealed record AnswerCompleted(DateTimeOffset Timestamp, ExecutionProgress Progress, string Answer, bool Partial) : ExecutionEvent(Timestamp, Progress);

/// <summary>The run is over. Always the last event of an agent run.</summary>
public sealed record RunCompleted(DateTimeOffset Timestamp, ExecutionProgress Progress, AgentRunResult Result) : ExecutionEvent(Timestamp, Progress);
