using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>
/// A step of the run as drawn in a report: a step of the plan version it ran in. A completed step
/// that a replan kept appears once, at the version it ran in.
/// </summary>
internal sealed class ReportStep
{
    public ReportStep(string key, int version, PlanStep step, StoredStep state)
    {
        Key = key;
        Version = version;
        Step = step;
        State = state;
    }

    /// <summary>Unique in the report and safe as an HTML id or a Mermaid node id.</summary>
    public string Key { get; }

    /// <summary>The plan version (from 1) the step belongs to.</summary>
    public int Version { get; }

    public PlanStep Step { get; }

    public StoredStep State { get; }

    /// <summary>Later plan versions that kept this step (it had completed).</summary>
    public List<int> KeptIn { get; } = [];

    /// <summary>The step is not part of the final plan: a later version replaced it.</summary>
    public bool Replaced { get; set; }

    public List<ReportStep> DependsOn { get; } = [];

    public List<ChildPlan> Children { get; } = [];
}
