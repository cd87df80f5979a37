using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Reports;

/// <summary>One stored plan version: where it came from and whether any of its steps ran.</summary>
/// <param name="Number">From 1.</param>
/// <param name="Origin">How it came about, e.g. "created by the planner" or "replan 1 after s2 failed".</param>
/// <param name="Plan">The plan.</param>
/// <param name="Ran">Whether any step ran while it was the current plan.</param>
internal sealed record ReportVersion(int Number, string Origin, Plan Plan, bool Ran);
