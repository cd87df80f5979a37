using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>The report as JSON: the run, every plan version, the steps of each version with child plans nested, replans and the events.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Render(StoredRun run, RunHistory history) => JsonSerializer.Serialize(
        new
        {
            run.Id, run.Info.Goal, status = run.Status.ToText(), run.Info.Provider, run.StartedAt, run.EndedAt, run.Answer, run.Error,
            usage = new { run.Usage.ModelCalls, run.Usage.InputTokens, run.Usage.OutputTokens },
            versions = history.Versions.Select(v => new { version = v.Number, v.Origin, v.Ran, plan = PlanElement(v.Plan) }),
            steps = history.Steps.Select(s => Step(s.Step, s.State, s, s.Children)),
            replans = history.Replans.Select(r => new { r.FailedStepId, r.Error }),
            events = run.Events.Select(e => new { e.Sequence, e.Type, e.At, data = JsonDocument.Parse(e.Json).RootElement }),
        },
        Options);

    private static Dictionary<string, object?> Step(PlanStep step, StoredStep state, ReportStep? node, IReadOnlyList<ChildPlan> children)
    {
        var json = new Dictionary<string, object?>
        {
            ["id"] = step.Id,
            ["description"] = step.Description,
            ["kind"] = PlanJson.KindName(step.Kind),
            ["tool"] = step.Tool,
            ["dependencies"] = step.Dependencies,
        };
        if (node is not null)
        {
            json["version"] = node.Version;
            json["keptIn"] = node.KeptIn;
            json["replaced"] = node.Replaced;
        }

        json["status"] = state.Status.ToText();
        json["attempts"] = state.Attempts;
        json["startedAt"] = state.StartedAt;
        json["endedAt"] = state.EndedAt;
        json["usage"] = new { state.Usage.ModelCalls, state.Usage.InputTokens, state.Usage.OutputTokens };
        json["unverified"] = state.Unverified;
        json["output"] = state.Output;
        json["error"] = state.Error;
        json["childPlans"] = children.Select(Child).ToList();
        return json;
    }

    private static object Child(ChildPlan child) => new
    {
        child.ParentStepId,
        child.Depth,
        plan = PlanElement(child.Plan),
        steps = child.Plan.Steps.Select(s => Step(s, child.StateOf(s.Id), null, child.ChildrenOf(s.Id))).ToList(),
    };

    private static JsonElement PlanElement(Plan plan)
    {
        using var document = JsonDocument.Parse(PlanJson.Serialize(plan, indented: false));
        return document.RootElement.Clone();
    }
}
