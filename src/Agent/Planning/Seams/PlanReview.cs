using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>One round of critique of a plan.</summary>
/// <param name="Approved">Whether the plan stands as it is.</param>
/// <param name="Issues">What the critic found, in words.</param>
/// <param name="Plan">The plan after the round: the same plan when approved, else the replacement.</param>
public sealed record PlanReview(bool Approved, IReadOnlyList<string> Issues, Plan Plan);
