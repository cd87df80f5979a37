using System.Globalization;
using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Turns the steps the reader read into plan steps: a map step becomes one tool step per item
/// (<c>s1_1</c>, <c>s1_2</c>, …, each with one value of every mapped argument and all the fixed
/// ones) and a <see cref="StepKind.Collect"/> step under the map step's id (see
/// <see cref="MapSteps"/>); a tool step written without a description gets one derived from its
/// tool and arguments. Every map it cannot expand is a <see cref="PlanProblemCode.InvalidMap"/> problem.
/// </summary>
internal static class MapExpansion
{
    private const string MapExample = "\"map\": {\"query\": [\"first\", \"second\"]}";

    public static List<PlanStep> Expand(IReadOnlyList<DraftStep> drafts, List<PlanProblem> problems)
    {
        var steps = new List<PlanStep>(drafts.Count);
        var items = new List<(string ItemId, string MapId)>();
        foreach (var draft in drafts)
        {
            if (draft.Map is null)
            {
                steps.Add(WithDescription(draft.Step));
            }
            else
            {
                ExpandMap(draft.Step, draft.Map, steps, items, problems);
            }
        }

        // An item id the planner also gave a step of its own would be a duplicate nobody wrote.
        var written = drafts.Select(d => d.Step.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (itemId, mapId) in items.Where(i => written.Contains(i.ItemId)))
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.DuplicateId,
                itemId,
                $"is the id of an item of map step '{mapId}' (its items are {mapId}_1, {mapId}_2, …) and of another step. Rename the other step."));
        }

        return steps;
    }

    private static PlanStep WithDescription(PlanStep step) =>
        step.Tool is { } tool && string.IsNullOrWhiteSpace(step.Description)
            ? step with { Description = DerivedDescription.Of(tool, step.Arguments) }
            : step;

    private static void ExpandMap(
        PlanStep step,
        IReadOnlyDictionary<string, JsonElement> map,
        List<PlanStep> steps,
        List<(string ItemId, string MapId)> items,
        List<PlanProblem> problems)
    {
        var count = Check(step, map, problems);
        if (count == 0)
        {
            return;
        }

        var ids = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            // The item's own values first: they are what tells the items apart in the description.
            var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (name, values) in map)
            {
                arguments[name] = values[i].Clone();
            }

            foreach (var (name, value) in step.Arguments)
            {
                arguments[name] = value;
            }

            var id = MapSteps.ItemId(step.Id, i + 1);
            ids.Add(id);
            items.Add((id, step.Id));
            steps.Add(step with { Id = id, Arguments = arguments, Description = DerivedDescription.Of(step.Tool!, arguments) });
        }

        steps.Add(new PlanStep
        {
            Id = step.Id,
            Description = string.IsNullOrWhiteSpace(step.Description)
                ? $"The results of {step.Tool} for {ids[0]}" + (count == 1 ? string.Empty : $"…{ids[^1]}")
                : step.Description,
            Dependencies = ids,
            Kind = StepKind.Collect,
        });
    }

    /// <summary>How many items the map has; 0, with the problems added, when it cannot be expanded.</summary>
    private static int Check(PlanStep step, IReadOnlyDictionary<string, JsonElement> map, List<PlanProblem> problems)
    {
        var label = step.Id.Length > 0 ? step.Id : null;
        var before = problems.Count;
        void Problem(string message) => problems.Add(new PlanProblem(PlanProblemCode.InvalidMap, label, message));

        if (step.Id.Length == 0)
        {
            Problem("A map step has no id; its items are named after it (s1 → s1_1, s1_2, …). Give it an id such as \"s1\".");
        }

        if (step.Tool is null)
        {
            Problem($"has a map but no tool. A map step calls one tool once per item: add \"tool\", e.g. {{\"id\": \"{step.Id}\", \"tool\": \"plugin.function\", {MapExample}}}.");
        }

        if (step.Kind != StepKind.Action)
        {
            Problem($"is a {PlanJson.KindName(step.Kind)} step with a map; only tool steps (kind \"action\") can map. Remove the map or the kind.");
        }

        if (map.Count == 0)
        {
            Problem($"has a map that names no argument. Give each mapped argument a list of values, e.g. {MapExample}.");
        }

        var lengths = new List<(string Name, int Length)>();
        foreach (var (name, values) in map)
        {
            if (values.ValueKind != JsonValueKind.Array)
            {
                Problem($"maps argument '{name}' over {PlanJson.Describe(values)}, not a list. Give a list with one value per item, e.g. \"{name}\": [\"first\", \"second\"]; put an argument that is the same for every item in \"arguments\".");
            }
            else if (values.GetArrayLength() == 0)
            {
                Problem($"maps argument '{name}' over an empty list, so it would call nothing. Give at least one value, or leave the step out.");
            }
            else if (values.GetArrayLength() > MapSteps.MaxItems)
            {
                Problem(string.Create(CultureInfo.InvariantCulture, $"maps argument '{name}' over {values.GetArrayLength():N0} values; at most {MapSteps.MaxItems:N0} are allowed. Split the work or make it a subgoal."));
            }
            else
            {
                lengths.Add((name, values.GetArrayLength()));
            }

            if (step.Arguments.Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
            {
                Problem($"gives argument '{name}' both in the map and in \"arguments\". Keep it in one place: in the map for a value per item, in \"arguments\" for one value for all.");
            }
        }

        if (lengths.Select(l => l.Length).Distinct().Count() > 1)
        {
            Problem($"maps lists of different lengths ({string.Join(", ", lengths.Select(l => $"{l.Name}: {l.Length.ToString(CultureInfo.InvariantCulture)}"))}). Item n takes value n of every list, so give lists of the same length.");
        }

        return problems.Count > before || lengths.Count == 0 ? 0 : lengths[0].Length;
    }
}
