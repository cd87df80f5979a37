using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>What the answer is written from.</summary>
/// <param name="Plan">The plan that ran (empty when none did).</param>
/// <param name="Records">Each step's record, in plan order.</param>
/// <param name="Status">How the plan ended: <see cref="AgentRunStatus.Completed"/>, or a failure or budget stop that makes the answer partial.</param>
/// <param name="Error">Why the plan did not complete, or null.</param>
public sealed record AnswerRequest(Plan Plan, IReadOnlyList<StepRecord> Records, AgentRunStatus Status, string? Error)
{
    /// <summary>Whether the answer is written from partial results.</summary>
    public bool IsPartial => Status is AgentRunStatus.BudgetExhausted or AgentRunStatus.Failed;
}
