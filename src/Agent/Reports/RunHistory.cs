using System.Globalization;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>
/// A stored run laid out for reporting: every plan version, each step of the versions that ran
/// with what it did in that version, and the child plans of subgoal steps.
/// </summary>
/// <remarks>
/// The store keeps one state per step id (the projection's), so a replan that reuses a failed
/// step's id overwrites it. Each version's step states are therefore the projection's step rule
/// (<see cref="RunProjection.ApplyToStep"/>) applied to the stored events of that version; the
/// stored states fill in what events do not tell (the unverified mark, and everything for runs
/// stored without events). Child plans share the run's event stream: a child plan of depth
/// <c>d</c> is found by its parent step id among the plans of depth <c>d - 1</c>.
/// </remarks>
internal sealed class RunHistory
{
    private RunHistory(IReadOnlyList<ReportVersion> versions, IReadOnlyList<ReportStep> steps, IReadOnlyList<(string FailedStepId, string Error)> replans, IReadOnlyList<(string StepId, string Reason)> discarded)
    {
        Discarded = discarded;
        Versions = versions;
        Steps = steps;
        Replans = replans;
    }

    /// <summary>Every stored plan version, first to last.</summary>
    public IReadOnlyList<ReportVersion> Versions { get; }

    /// <summary>The steps of every version that ran (and of the last version), in order.</summary>
    public IReadOnlyList<ReportStep> Steps { get; }

    /// <summary>Each replan: the step whose failure caused it and the error.</summary>
    public IReadOnlyList<(string FailedStepId, string Error)> Replans { get; }

    /// <summary>Steps that started before the plan was final and whose early results were thrown away, with why.</summary>
    public IReadOnlyList<(string StepId, string Reason)> Discarded { get; }

    /// <summary>Whether steps of more than one plan version are shown.</summary>
    public bool SpansVersions => Steps.Select(s => s.Version).Distinct().Skip(1).Any();

    public static RunHistory Of(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plans = run.PlanVersions;
        var origins = Enumerable.Range(1, plans.Count).Select(n => n == 1 ? "first plan" : "plan version " + n.ToString(CultureInfo.InvariantCulture)).ToArray();
        var ran = new bool[plans.Count];
        var states = new Dictionary<(int Version, string StepId), StoredStep>();
        var children = new Dictionary<(int Version, string StepId), List<ChildPlan>>();
        var openChildren = new Dictionary<(int Depth, string ParentStepId), ChildPlan>();
        var replans = new List<(string, string)>();
        var discarded = new List<(string, string)>();

        // Events stored damaged or reduced (a run's end) are left out.
        var events = run.Events.Select(e => EventJson.TryDeserialize(e.Type, e.Json)).OfType<ExecutionEvent>().ToList();

        // Without plan events (a run recorded by hand) every step event belongs to the last version.
        var current = events.Any(e => e is PlanCreated or PlanReflected or PlanApproved or Replanned) ? -1 : plans.Count - 1;
        foreach (var e in events)
        {
            if (e is StepDiscarded early)
            {
                discarded.Add((early.StepId, early.Reason));
            }

            if (e is Replanned replanned)
            {
                replans.Add((replanned.FailedStepId, replanned.Error));
            }

            if (RunProjection.PlanVersionOf(e) is not null)
            {
                current = Math.Min(current + 1, plans.Count - 1);
                if (current >= 0)
                {
                    origins[current] = Origin(e);
                }

                continue;
            }

            if (current < 0)
            {
                continue;
            }

            switch (e)
            {
                case SubplanCreated created:
                    AddChild(created, current, children, openChildren);
                    break;
                case SubplanEvent relayed:
                    if (openChildren.TryGetValue((relayed.Depth, relayed.ParentStepId), out var child) && RunProjection.StepIdOf(relayed.Inner) is { } childStep)
                    {
                        child.States[childStep] = RunProjection.ApplyToStep(child.States.GetValueOrDefault(childStep), relayed.Inner);
                    }

                    break;
                default:
                    if (RunProjection.StepIdOf(e) is { } stepId)
                    {
                        states[(current, stepId)] = RunProjection.ApplyToStep(states.GetValueOrDefault((current, stepId)), e);
                        ran[current] = true;
                    }

                    break;
            }
        }

        var versions = plans.Select((p, i) => new ReportVersion(i + 1, origins[i], p, ran[i])).ToList();
        var shown = Enumerable.Range(0, plans.Count).Where(i => ran[i] || i == plans.Count - 1).ToList();
        MergeStoredSteps(run, plans, shown, states);
        return new RunHistory(versions, BuildSteps(plans, shown, states, children), replans, discarded);
    }

    /// <summary>The stored state of a step belongs to the latest shown version where the step did something (else the latest that has it).</summary>
    private static void MergeStoredSteps(StoredRun run, IReadOnlyList<Plan> plans, List<int> shown, Dictionary<(int, string), StoredStep> states)
    {
        foreach (var stored in run.Steps)
        {
            var candidates = shown.Where(v => plans[v].FindStep(stored.StepId) is not null).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var active = candidates.Where(v => states.ContainsKey((v, stored.StepId))).ToList();
            var version = active.Count > 0 ? active[^1] : candidates[^1];
            states[(version, stored.StepId)] = states.TryGetValue((version, stored.StepId), out var fromEvents) && fromEvents.Status != stored.Status
                ? fromEvents with { Unverified = stored.Unverified }
                : stored with { Output = stored.Output ?? fromEvents?.Output };
        }
    }

    private static List<ReportStep> BuildSteps(IReadOnlyList<Plan> plans, List<int> shown, Dictionary<(int, string), StoredStep> states, Dictionary<(int, string), List<ChildPlan>> children)
    {
        var steps = new List<ReportStep>();
        var at = new Dictionary<(int, string), ReportStep>();
        var latest = new Dictionary<string, ReportStep>(StringComparer.Ordinal);
        foreach (var v in shown)
        {
            foreach (var step in plans[v].Steps)
            {
                // A replan keeps completed steps as they were; they do not run again.
                if (latest.TryGetValue(step.Id, out var earlier) && earlier.State.Status == StepStatus.Completed && !states.ContainsKey((v, step.Id)))
                {
                    earlier.KeptIn.Add(v + 1);
                    at[(v, step.Id)] = earlier;
                    continue;
                }

                var node = new ReportStep(Invariant($"v{v + 1}_{steps.Count}"), v + 1, step, states.GetValueOrDefault((v, step.Id)) ?? StoredStep.Pending(step.Id));
                if (children.TryGetValue((v, step.Id), out var list))
                {
                    node.Children.AddRange(list);
                }

                steps.Add(node);
                at[(v, step.Id)] = node;
                latest[step.Id] = node;
            }
        }

        var final = shown.Count > 0 ? shown[^1] + 1 : 0;
        foreach (var v in shown)
        {
            foreach (var step in plans[v].Steps)
            {
                var node = at[(v, step.Id)];
                if (node.Version != v + 1)
                {
                    continue;
                }

                node.Replaced = node.Version != final && !node.KeptIn.Contains(final);
                node.DependsOn.AddRange(step.Dependencies.Where(d => at.ContainsKey((v, d))).Select(d => at[(v, d)]));
            }
        }

        return steps;
    }

    private static void AddChild(SubplanCreated created, int version, Dictionary<(int, string), List<ChildPlan>> children, Dictionary<(int, string), ChildPlan> openChildren)
    {
        var parent = created.ParentStepId;
        var depth = Math.Max(1, created.Depth);
        var child = new ChildPlan(parent, depth, created.Plan);

        // A deeper child plan belongs to the open plan one level up that has its parent step,
        // preferably the one where that step is running now.
        var owner = openChildren.Values
            .Where(c => c.Depth == depth - 1 && c.Plan.FindStep(parent) is not null)
            .OrderBy(c => c.StateOf(parent).Status == StepStatus.Running ? 0 : 1)
            .FirstOrDefault();
        if (owner is not null)
        {
            if (!owner.Children.TryGetValue(parent, out var siblings))
            {
                owner.Children[parent] = siblings = [];
            }

            siblings.Add(child);
        }
        else
        {
            if (!children.TryGetValue((version, parent), out var list))
            {
                children[(version, parent)] = list = [];
            }

            list.Add(child);
        }

        openChildren[(depth, parent)] = child;
    }

    /// <summary>How an event that adds a plan version (<see cref="RunProjection.PlanVersionOf"/>) made it.</summary>
    private static string Origin(ExecutionEvent e) => e switch
    {
        PlanCreated => "created by the planner",
        PlanReflected reflected => Invariant($"revised by critique (round {reflected.Round})"),
        PlanApproved approved => approved.Edited ? "edited at approval" : "approved",
        Replanned replanned => Invariant($"replan {replanned.Replan} after {replanned.FailedStepId} failed"),
        _ => e.GetType().Name,
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
