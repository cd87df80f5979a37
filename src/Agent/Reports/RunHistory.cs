using System.Globalization;
using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Reports;

/// <summary>
/// A stored run rebuilt for reporting: every plan version, each step of the versions that ran
/// with what it did in that version, and the child plans of subgoal steps.
/// </summary>
/// <remarks>
/// Step rows in the store are kept per step id, so a replan that reuses a failed step's id
/// overwrites it; the events are therefore the source of each version's step states, and the
/// rows fill in what events do not tell (and everything for runs stored without events).
/// Child plans share the run's event stream: a child plan of depth <c>d</c> is found by its
/// parent step id among the plans of depth <c>d - 1</c>.
/// </remarks>
internal sealed class RunHistory
{
    private RunHistory(IReadOnlyList<ReportVersion> versions, IReadOnlyList<ReportStep> steps, IReadOnlyList<(string FailedStepId, string Error)> replans)
    {
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

    /// <summary>Whether steps of more than one plan version are shown.</summary>
    public bool SpansVersions => Steps.Select(s => s.Version).Distinct().Skip(1).Any();

    public static RunHistory Of(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plans = run.PlanVersions;
        var origins = Enumerable.Range(1, plans.Count).Select(n => n == 1 ? "first plan" : "plan version " + n.ToString(CultureInfo.InvariantCulture)).ToArray();
        var ran = new bool[plans.Count];
        var states = new Dictionary<(int Version, string StepId), StepState>();
        var children = new Dictionary<(int Version, string StepId), List<ChildPlan>>();
        var openChildren = new Dictionary<(int Depth, string ParentStepId), ChildPlan>();
        var replans = new List<(string, string)>();

        // Without plan events (a run recorded by hand) every step event belongs to the last version.
        var current = run.Events.Any(e => PlanVersionOrigin(e.Type, default, probe: true) is not null) ? -1 : plans.Count - 1;
        foreach (var stored in run.Events)
        {
            using var document = TryParse(stored.Json);
            if (document is null)
            {
                continue;
            }

            var root = document.RootElement;
            if (stored.Type == nameof(Replanned))
            {
                replans.Add((Text(root, "failedStepId") ?? "?", Text(root, "error") ?? string.Empty));
            }

            if (PlanVersionOrigin(stored.Type, root, probe: false) is { } origin)
            {
                current = Math.Min(current + 1, plans.Count - 1);
                if (current >= 0)
                {
                    origins[current] = origin;
                }

                continue;
            }

            if (current < 0)
            {
                continue;
            }

            switch (stored.Type)
            {
                case nameof(SubplanCreated):
                    AddChild(root, current, children, openChildren);
                    break;
                case nameof(SubplanEvent):
                    var depth = Number(root, "depth");
                    if (Text(root, "parentStepId") is { } parent && openChildren.TryGetValue((depth, parent), out var child)
                        && root.TryGetProperty("innerJson", out var inner) && Text(inner, "stepId") is { } childStep
                        && Apply(child.States.GetValueOrDefault(childStep), Text(root, "inner") ?? string.Empty, inner, Time(inner) ?? stored.At) is { } childState)
                    {
                        child.States[childStep] = childState;
                    }

                    break;
                default:
                    if (Text(root, "stepId") is { } stepId && Apply(states.GetValueOrDefault((current, stepId)), stored.Type, root, stored.At) is { } state)
                    {
                        states[(current, stepId)] = state;
                        ran[current] = true;
                    }

                    break;
            }
        }

        var versions = plans.Select((p, i) => new ReportVersion(i + 1, origins[i], p, ran[i])).ToList();
        var shown = Enumerable.Range(0, plans.Count).Where(i => ran[i] || i == plans.Count - 1).ToList();
        MergeStoredRows(run, plans, shown, states);
        return new RunHistory(versions, BuildSteps(plans, shown, states, children), replans);
    }

    /// <summary>The stored row of a step belongs to the latest shown version where the step did something (else the latest that has it).</summary>
    private static void MergeStoredRows(StoredRun run, IReadOnlyList<Plan> plans, List<int> shown, Dictionary<(int, string), StepState> states)
    {
        foreach (var row in run.Steps)
        {
            var candidates = shown.Where(v => plans[v].FindStep(row.StepId) is not null).ToList();
            if (candidates.Count == 0)
            {
                continue;
            }

            var active = candidates.Where(v => states.ContainsKey((v, row.StepId))).ToList();
            var version = active.Count > 0 ? active[^1] : candidates[^1];
            var fromRow = StepState.From(row);
            states[(version, row.StepId)] = states.TryGetValue((version, row.StepId), out var fromEvents) && fromEvents.Status != row.Status
                ? fromEvents with { Unverified = row.Unverified }
                : fromRow with { Output = fromRow.Output ?? fromEvents?.Output };
        }
    }

    private static List<ReportStep> BuildSteps(IReadOnlyList<Plan> plans, List<int> shown, Dictionary<(int, string), StepState> states, Dictionary<(int, string), List<ChildPlan>> children)
    {
        var steps = new List<ReportStep>();
        var at = new Dictionary<(int, string), ReportStep>();
        var latest = new Dictionary<string, ReportStep>(StringComparer.Ordinal);
        foreach (var v in shown)
        {
            foreach (var step in plans[v].Steps)
            {
                // A replan keeps completed steps as they were; they do not run again.
                if (latest.TryGetValue(step.Id, out var earlier) && earlier.State.Status == "completed" && !states.ContainsKey((v, step.Id)))
                {
                    earlier.KeptIn.Add(v + 1);
                    at[(v, step.Id)] = earlier;
                    continue;
                }

                var node = new ReportStep(Invariant($"v{v + 1}_{steps.Count}"), v + 1, step, states.GetValueOrDefault((v, step.Id)) ?? StepState.Pending);
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

    private static void AddChild(JsonElement root, int version, Dictionary<(int, string), List<ChildPlan>> children, Dictionary<(int, string), ChildPlan> openChildren)
    {
        if (Text(root, "parentStepId") is not { } parent || !root.TryGetProperty("plan", out var planJson))
        {
            return;
        }

        Plan plan;
        try
        {
            plan = PlanJson.Deserialize(planJson.GetRawText());
        }
        catch (PlanParseException)
        {
            return;
        }

        var depth = Math.Max(1, Number(root, "depth"));
        var child = new ChildPlan(parent, depth, plan);

        // A deeper child plan belongs to the open plan one level up that has its parent step,
        // preferably the one where that step is running now.
        var owner = openChildren.Values
            .Where(c => c.Depth == depth - 1 && c.Plan.FindStep(parent) is not null)
            .OrderBy(c => c.StateOf(parent).Status == "running" ? 0 : 1)
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

    /// <summary>How a plan-version event made its version, or null when the event makes none (the store's own rule).</summary>
    private static string? PlanVersionOrigin(string type, JsonElement root, bool probe) => type switch
    {
        nameof(PlanCreated) => "created by the planner",
        nameof(PlanReflected) when probe => "revised by critique",
        nameof(PlanReflected) => Flag(root, "approved") ? null : Invariant($"revised by critique (round {Number(root, "round")})"),
        nameof(PlanApproved) => !probe && Flag(root, "edited") ? "edited at approval" : "approved",
        nameof(Replanned) => probe ? "replan" : Invariant($"replan {Number(root, "replan")} after {Text(root, "failedStepId")} failed"),
        _ => null,
    };

    private static StepState? Apply(StepState? previous, string type, JsonElement e, DateTimeOffset at)
    {
        var state = previous ?? StepState.Pending;
        return type switch
        {
            nameof(StepStarted) => state with { Status = "running", StartedAt = at, EndedAt = null },
            nameof(StepRetrying) => state with { Error = Text(e, "error"), Attempts = Number(e, "failedAttempt") },
            nameof(StepFallbackStarted) => state with { Error = Text(e, "error") },
            nameof(StepCompleted) => state with { Status = "completed", Output = Text(e, "output"), Error = null, Attempts = Number(e, "attempts"), EndedAt = at, Usage = Usage(e) },
            nameof(StepFailed) => state with { Status = "failed", Error = Text(e, "error"), Attempts = Number(e, "attempts"), EndedAt = at },
            nameof(StepSkipped) => state with { Status = "skipped", Error = Text(e, "reason"), EndedAt = at },
            _ => null,
        };
    }

    private static TokenUsage Usage(JsonElement e) =>
        e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object
            ? new TokenUsage(Number(u, "modelCalls"), Long(u, "inputTokens"), Long(u, "outputTokens"))
            : default;

    private static JsonDocument? TryParse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Number(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : 0;

    private static long Long(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;

    private static bool Flag(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static DateTimeOffset? Time(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("timestamp", out var v) && v.ValueKind == JsonValueKind.String && v.TryGetDateTimeOffset(out var t) ? t : null;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
