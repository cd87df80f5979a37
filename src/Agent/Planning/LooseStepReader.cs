using System.Text.Json;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Planning.LooseJson;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Reads one step of a model's plan, accepting the keys, synonyms and shapes models use
/// (<c>depends_on</c>, <c>args</c>, a tool as an object, arguments as a JSON-encoded string, a
/// fallback as plain text), the compact keys (<c>do</c>/<c>d</c>, <c>dep</c>/<c>after</c>,
/// <c>t</c>, <c>a</c>) and a <c>map</c> of argument names to lists, and listing every shape it
/// cannot read as a <see cref="PlanProblem"/>.
/// </summary>
internal static class LooseStepReader
{
    private static readonly string[] IdKeys = ["id", "stepid", "step", "key"];
    private static readonly string[] DescriptionKeys = ["description", "desc", "do", "d", "task", "instruction", "title", "text", "goal"];
    private static readonly string[] DependencyKeys = ["dependencies", "dependson", "deps", "dep", "depends", "requires", "needs", "after"];
    private static readonly string[] KindKeys = ["kind", "type", "steptype"];
    private static readonly string[] ToolKeys = ["tool", "t", "function", "toolname", "functionname"];
    private static readonly string[] ArgumentKeys = ["arguments", "args", "a", "parameters", "params", "input", "inputs", "toolarguments", "toolinput"];
    private static readonly string[] MapKeys = ["map", "foreach", "each"];
    private static readonly string[] AgentKeys = ["agent", "assignee", "role", "profile", "agentprofile"];
    private static readonly string[] FallbackKeys = ["fallback", "onfailure", "fallbackstep"];

    /// <summary>
    /// The steps at <paramref name="position"/> (1-based): an object is one step, a string is read
    /// in the line form (usually one step); nothing when it is neither.
    /// </summary>
    public static IEnumerable<DraftStep> ReadSteps(JsonElement element, int position, List<PlanProblem> problems)
    {
        if (element.ValueKind == JsonValueKind.String && element.GetString() is { } line && LinePlanReader.IsStep(line))
        {
            return LinePlanReader.Read(line, problems, $"step number {position}");
        }

        return ReadStep(element, position, problems) is { } step ? [step] : [];
    }

    /// <summary>The step at <paramref name="position"/> (1-based), or null when it is not an object at all.</summary>
    private static DraftStep? ReadStep(JsonElement element, int position, List<PlanProblem> problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidShape,
                null,
                element.ValueKind == JsonValueKind.String
                    ? $"Step number {position} is the text \"{PlanProblemText.Short(element.GetString()!)}\", which is not a step; write a step as a line such as \"s1 = plugin.function(name='value')\" or a JSON object with at least \"id\" and \"description\"."
                    : $"Step number {position} is {PlanJson.Describe(element)}; every step must be a JSON object with at least \"id\" and \"description\"."));
            return null;
        }

        var id = TryGet(element, IdKeys, out var idElement) ? ScalarText(idElement) ?? string.Empty : string.Empty;
        var label = id.Length > 0 ? id : $"#{position}";

        var kind = StepKind.Action;
        if (TryGet(element, KindKeys, out var kindElement) && kindElement.ValueKind != JsonValueKind.Null)
        {
            var kindText = ScalarText(kindElement);
            if (kindText is null || !TryParseKind(kindText, out kind))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.UnknownKind,
                    label,
                    $"kind {kindElement.GetRawText()} is not one of \"action\", \"verify\", \"subgoal\"."));
            }
        }

        ReadToolCall(element, label, problems, out var tool, out var arguments);

        var step = new PlanStep
        {
            Id = id,
            Description = TryGet(element, DescriptionKeys, out var description) ? ScalarText(description) ?? string.Empty : string.Empty,
            Dependencies = ReadDependencies(element, label, problems),
            Kind = kind,
            Tool = tool,
            Arguments = arguments,
            Agent = TryGet(element, AgentKeys, out var agent) ? NullIfBlank(ScalarText(agent)) : null,
            Fallback = ReadFallback(element, label, problems),
        };
        return new DraftStep(step, ReadMap(element, label, problems));
    }

    /// <summary>A map step's argument names and lists, as written (<see cref="MapExpansion"/> judges them); null for other steps.</summary>
    private static Dictionary<string, JsonElement>? ReadMap(JsonElement step, string label, List<PlanProblem> problems)
    {
        if (!TryGet(step, MapKeys, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidMap,
                label,
                $"map is {PlanJson.Describe(element)}; give an object of argument names to lists, one value per item, e.g. \"map\": {{\"query\": [\"first\", \"second\"]}}."));
            return null;
        }

        return ReadArguments(element);
    }

    private static List<string> ReadDependencies(JsonElement step, string label, List<PlanProblem> problems)
    {
        var dependencies = new List<string>();
        if (!TryGet(step, DependencyKeys, out var element))
        {
            return dependencies;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                break;
            case JsonValueKind.String or JsonValueKind.Number:
                // "dependencies": "s1" or "dependencies": "s1, s2"
                foreach (var part in ScalarText(element)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    dependencies.Add(part);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    var text = item.ValueKind == JsonValueKind.Object && TryGet(item, IdKeys, out var nestedId)
                        ? ScalarText(nestedId)
                        : ScalarText(item);
                    if (text is null)
                    {
                        problems.Add(new PlanProblem(
                            PlanProblemCode.InvalidShape,
                            label,
                            $"dependency {item.GetRawText()} is not a step id; list dependencies as ids, e.g. [\"s1\", \"s2\"]."));
                    }
                    else if (text.Length > 0)
                    {
                        dependencies.Add(text);
                    }
                }

                break;
            default:
                problems.Add(new PlanProblem(
                    PlanProblemCode.InvalidShape,
                    label,
                    $"dependencies is {PlanJson.Describe(element)}; list dependencies as an array of step ids, e.g. [\"s1\"]."));
                break;
        }

        return dependencies;
    }

    private static void ReadToolCall(
        JsonElement owner,
        string label,
        List<PlanProblem> problems,
        out string? tool,
        out IReadOnlyDictionary<string, JsonElement> arguments)
    {
        tool = null;
        arguments = PlanStep.NoArguments;
        JsonElement? argumentsElement = TryGet(owner, ArgumentKeys, out var args) ? args : null;
        if (TryGet(owner, ToolKeys, out var toolElement))
        {
            if (toolElement.ValueKind == JsonValueKind.Object)
            {
                // {"tool": {"name": "search.search", "arguments": {...}}}
                tool = TryGet(toolElement, ["name", "function", "tool"], out var name) ? NullIfBlank(ScalarText(name)) : null;
                if (argumentsElement is null && TryGet(toolElement, ArgumentKeys, out var innerArgs))
                {
                    argumentsElement = innerArgs;
                }
            }
            else
            {
                tool = NullIfBlank(ScalarText(toolElement));
            }

            if (tool is not null && (tool.Equals("none", StringComparison.OrdinalIgnoreCase) || tool.Equals("null", StringComparison.OrdinalIgnoreCase)))
            {
                tool = null;
            }
        }

        if (argumentsElement is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            // Some models send arguments as a JSON-encoded string, as in OpenAI tool calls.
            var raw = value.GetString()!;
            if (string.IsNullOrWhiteSpace(raw))
            {
                return;
            }

            try
            {
                using var inner = JsonDocument.Parse(raw, ModelReplyJson.DocumentOptions);
                if (inner.RootElement.ValueKind == JsonValueKind.Object)
                {
                    arguments = ReadArguments(inner.RootElement);
                    return;
                }
            }
            catch (JsonException)
            {
                // Reported below.
            }
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidShape,
                label,
                $"arguments is {PlanJson.Describe(value)}; give arguments as a JSON object of parameter names to values, e.g. {{\"query\": \"...\"}}."));
            return;
        }

        arguments = ReadArguments(value);
    }

    private static Dictionary<string, JsonElement> ReadArguments(JsonElement value)
    {
        var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            arguments[property.Name] = property.Value.Clone();
        }

        return arguments;
    }

    private static StepFallback? ReadFallback(JsonElement step, string label, List<PlanProblem> problems)
    {
        if (!TryGet(step, FallbackKeys, out var element))
        {
            return null;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                var text = element.GetString();
                return string.IsNullOrWhiteSpace(text) ? null : new StepFallback { Description = text };
            case JsonValueKind.Object:
                ReadToolCall(element, label + " fallback", problems, out var tool, out var arguments);
                return new StepFallback
                {
                    Description = TryGet(element, DescriptionKeys, out var description) ? ScalarText(description) ?? string.Empty : string.Empty,
                    Tool = tool,
                    Arguments = arguments,
                    Agent = TryGet(element, AgentKeys, out var agent) ? NullIfBlank(ScalarText(agent)) : null,
                };
            default:
                problems.Add(new PlanProblem(
                    PlanProblemCode.InvalidShape,
                    label,
                    $"fallback is {PlanJson.Describe(element)}; give it as an object {{\"description\": \"...\", \"tool\": null}} or leave it out."));
                return null;
        }
    }

    private static bool TryParseKind(string text, out StepKind kind)
    {
        switch (NormalizeKey(text))
        {
            case "action" or "act" or "tool" or "task" or "step" or "":
                kind = StepKind.Action;
                return true;
            case "verify" or "verification" or "check" or "validate" or "validation":
                kind = StepKind.Verify;
                return true;
            case "subgoal" or "subplan" or "goal":
                kind = StepKind.Subgoal;
                return true;
            case "collect":
                kind = StepKind.Collect;
                return true;
            default:
                kind = StepKind.Action;
                return false;
        }
    }
}
