using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Reads a plan from model output or a hand-written plan file, tolerant of what models really
/// send: JSON inside code fences or after prose, a bare array of steps, <c>{"plan": {...}}</c>,
/// missing <c>dependencies</c>, numeric ids, and <c>snake_case</c>, <c>camelCase</c> or
/// <c>PascalCase</c> keys with common synonyms. It also reads the compact forms a planner is asked
/// for (docs/plan-contract.md): short keys, tool steps without a description, map steps, and the
/// line form (<see cref="LinePlanReader"/>). Map steps are expanded (<see cref="MapSteps"/>) and
/// every <c>${id}</c> reference becomes a dependency (<see cref="ImpliedDependencies"/>), so the
/// plan it returns is in the canonical shape. Reading does not judge the plan;
/// <see cref="PlanValidator"/> does that strictly afterwards. Plans this program wrote itself are
/// read back with the strict <see cref="PlanJson.Deserialize"/>.
/// </summary>
public static class PlanReader
{
    private static readonly string[] StepsKeys = ["steps", "plan", "tasks", "subtasks", "children"];
    private static readonly string[] GoalKeys = ["goal", "objective"];

    /// <summary>Reads a plan from model output or a plan file.</summary>
    /// <param name="text">The model's reply: bare JSON, JSON in a code fence, or JSON after prose.</param>
    /// <param name="goal">The goal to attach when the JSON does not state one.</param>
    /// <exception cref="PlanParseException">No plan could be read; every problem found is listed.</exception>
    public static Plan Parse(string text, string? goal = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > PlanJson.MaxTextLength)
        {
            throw new PlanParseException([PlanJson.TooLarge(text.Length)]);
        }

        var problems = new List<PlanProblem>();
        List<DraftStep>? drafts;
        if (LinePlanReader.IsLineForm(text))
        {
            drafts = LinePlanReader.Read(text, problems);
        }
        else
        {
            using var document = ExtractDocument(text);
            drafts = ReadSteps(document.RootElement, ref goal, problems);
        }

        var steps = drafts is null ? null : MapExpansion.Expand(drafts, problems);
        if (problems.Count > 0 || steps is null)
        {
            throw new PlanParseException(problems);
        }

        return ImpliedDependencies.Add(new Plan(steps, goal));
    }

    /// <summary>Reads a plan, or returns false with the problems found.</summary>
    public static bool TryParse(string text, out Plan? plan, out IReadOnlyList<PlanProblem> problems, string? goal = null)
    {
        try
        {
            plan = Parse(text, goal);
            problems = [];
            return true;
        }
        catch (PlanParseException ex)
        {
            plan = null;
            problems = ex.Problems;
            return false;
        }
    }

    private static JsonDocument ExtractDocument(string text)
    {
        var document = ModelReplyJson.Extract(text, LooksLikePlan);
        if (document is not null)
        {
            return document;
        }

        var preview = text.Length > 80 ? text[..80] + "…" : text;
        throw new PlanParseException(
        [
            new PlanProblem(
                PlanProblemCode.NoJson,
                null,
                string.IsNullOrWhiteSpace(text)
                    ? "The reply was empty. Answer with a JSON object of the form {\"steps\": [...]}."
                    : $"The reply holds no valid JSON and no step lines (it begins \"{preview}\"). Answer with the plan and nothing else: one step per line, such as s1 = plugin.function(name=\"value\"), or a JSON object of the form {{\"steps\": [...]}}."),
        ]);
    }

    private static bool LooksLikePlan(JsonElement root) => root.ValueKind switch
    {
        JsonValueKind.Array => root.GetArrayLength() > 0 && (root[0].ValueKind == JsonValueKind.Object || (root[0].ValueKind == JsonValueKind.String && LinePlanReader.IsStep(root[0].GetString()!))),
        JsonValueKind.Object => FindStepsArray(root, out _),
        _ => false,
    };

    private static bool FindStepsArray(JsonElement root, out JsonElement steps)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            steps = root;
            return true;
        }

        if (root.ValueKind == JsonValueKind.Object && LooseJson.TryGet(root, StepsKeys, out var value))
        {
            if (value.ValueKind == JsonValueKind.Array)
            {
                steps = value;
                return true;
            }

            // {"plan": {"steps": [...]}}
            if (value.ValueKind == JsonValueKind.Object)
            {
                return FindStepsArray(value, out steps);
            }
        }

        steps = default;
        return false;
    }

    private static List<DraftStep>? ReadSteps(JsonElement root, ref string? goal, List<PlanProblem> problems)
    {
        if (!FindStepsArray(root, out var stepsElement))
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidShape,
                null,
                $"The JSON is {PlanJson.Describe(root)}, not a plan. Answer with a JSON object of the form {{\"steps\": [{{\"id\": \"s1\", \"description\": \"...\", \"dependencies\": []}}]}}."));
            return null;
        }

        if (root.ValueKind == JsonValueKind.Object && LooseJson.TryGet(root, GoalKeys, out var goalElement) && goalElement.ValueKind == JsonValueKind.String)
        {
            goal ??= goalElement.GetString();
        }
        else if (root.ValueKind == JsonValueKind.Object && LooseJson.TryGet(root, StepsKeys, out var nested) && nested.ValueKind == JsonValueKind.Object
                 && LooseJson.TryGet(nested, GoalKeys, out goalElement) && goalElement.ValueKind == JsonValueKind.String)
        {
            goal ??= goalElement.GetString();
        }

        var steps = new List<DraftStep>(stepsElement.GetArrayLength());
        var index = 0;
        foreach (var element in stepsElement.EnumerateArray())
        {
            index++;
            steps.AddRange(LooseStepReader.ReadSteps(element, index, problems));
        }

        return steps;
    }
}
