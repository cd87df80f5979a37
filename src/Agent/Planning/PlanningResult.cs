using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>A plan made and reviewed, not run.</summary>
/// <param name="Plan">The plan after review.</param>
/// <param name="Versions">Every version: as created, then as revised by review.</param>
/// <param name="Events">The planning events (created, rejected, reflected).</param>
/// <param name="Usage">Model calls and tokens spent.</param>
public sealed record PlanningResult(Plan Plan, IReadOnlyList<Plan> Versions, IReadOnlyList<ExecutionEvent> Events, TokenUsage Usage);
