using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>What a revision starts from: the plan, what became of each step, and the step that failed.</summary>
/// <param name="Plan">The plan that was running.</param>
/// <param name="Records">Each step's record, in plan order.</param>
/// <param name="FailedStepId">The step whose retries and fallback are spent.</param>
/// <param name="Error">Why it failed.</param>
public sealed record PlanFailure(Plan Plan, IReadOnlyList<StepRecord> Records, string FailedStepId, string Error);
