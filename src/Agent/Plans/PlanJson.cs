using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Reads and writes the plan JSON contract. Reading is tolerant of what models really send: JSON
/// inside code fences or after prose, missing <c>dependencies</c>, numeric ids, and
/// <c>snake_case</c>, <c>camelCase</c> or <c>PascalCase</c> keys with common synonyms. Reading does
/// not judge the plan; <see cref="PlanValidator"/> does that strictly afterwards.
/// </summary>
public static class PlanJson
{
    private const int MaxCandidates = 64;

    /// <summary>
    /// The most characters a plan's text may have (1,000,000): far above any plan within the step
    /// limit, low enough that a runaway model reply is refused before it is parsed.
    /// </summary>
    public const int MaxTextLength = 1_000_000;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    private static readonly string[] StepsKeys = ["steps", "plan", "tasks", "subtasks", "children"];
    private static readonly string[] IdKeys = ["id", "stepid", "step", "key"];
    private static readonly string[] DescriptionKeys = ["description", "desc", "task", "instruction", "title", "text", "goal"];
    private static readonly string[] DependencyKeys = ["dependencies", "dependson", "deps", "depends", "requires", "needs", "after"];
    private static readonly string[] KindKeys = ["kind", "type", "steptype"];
    private static readonly string[] ToolKeys = ["tool", "function", "toolname", "functionname"];
    private static readonly string[] ArgumentKeys = ["arguments", "args", "parameters", "params", "input", "inputs", "toolarguments", "toolinput"];
    private static readonly string[] AgentKeys = ["agent", "assignee", "role", "profile", "agentprofile"];
    private static readonly string[] FallbackKeys = ["fallback", "onfailure", "fallbackstep"];
    private static readonly string[] GoalKeys = ["goal", "objective"];

    /// <summary>
    /// Reads a plan from model output.
    /// </summary>
    /// <param name="text">The model's reply: bare JSON, JSON in a code fence, or JSON after prose.</param>
    /// <param name="goal">The goal to attach when the JSON does not state one.</param>
    /// <exception cref="PlanParseException">No plan could be read; every problem found is listed.</exception>
    public static Plan Parse(string text, string? goal = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxTextLength)
        {
            throw new PlanParseException([new PlanProblem(
                PlanProblemCode.TooLarge,
                null,
                string.Create(CultureInfo.InvariantCulture, $"The plan text has {text.Length:N0} characters; at most {MaxTextLength:N0} are read. Write a shorter plan: fewer steps, shorter descriptions, subgoal steps for large parts."))]);
        }

        using var document = ExtractDocument(text);
        var problems = new List<PlanProblem>();
        var plan = ReadPlan(document.RootElement, goal, problems);
        if (problems.Count > 0 || plan is null)
        {
            throw new PlanParseException(problems);
        }

        return plan;
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

    /// <summary>Writes a plan in the contract's canonical form (snake_case keys, lowercase kinds).</summary>
    public static string Serialize(Plan plan, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            Write(writer, plan);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes a plan in the contract's canonical form to a JSON writer.</summary>
    public static void Write(Utf8JsonWriter writer, Plan plan)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(plan);
        writer.WriteStartObject();
        if (plan.Goal is not null)
        {
            writer.WriteString("goal", plan.Goal);
        }

        writer.WriteStartArray("steps");
        foreach (var step in plan.Steps)
        {
            writer.WriteStartObject();
            writer.WriteString("id", step.Id);
            writer.WriteString("description", step.Description);
            writer.WriteStartArray("dependencies");
            foreach (var dependency in step.Dependencies)
            {
                writer.WriteStringValue(dependency);
            }

            writer.WriteEndArray();
            writer.WriteString("kind", KindName(step.Kind));
            WriteToolCall(writer, step.Tool, step.Arguments);
            if (step.Agent is not null)
            {
                writer.WriteString("agent", step.Agent);
            }

            if (step.Fallback is { } fallback)
            {
                writer.WriteStartObject("fallback");
                writer.WriteString("description", fallback.Description);
                WriteToolCall(writer, fallback.Tool, fallback.Arguments);
                if (fallback.Agent is not null)
                {
                    writer.WriteString("agent", fallback.Agent);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The contract's name of a step kind.</summary>
    public static string KindName(StepKind kind) => kind switch
    {
        StepKind.Verify => "verify",
        StepKind.Subgoal => "subgoal",
        _ => "action",
    };

    private static void WriteToolCall(Utf8JsonWriter writer, string? tool, IReadOnlyDictionary<string, JsonElement> arguments)
    {
        if (tool is not null)
        {
            writer.WriteString("tool", tool);
        }

        if (arguments.Count > 0)
        {
            writer.WriteStartObject("arguments");
            foreach (var (name, value) in arguments)
            {
                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }
    }

    private static JsonDocument ExtractDocument(string text)
    {
        var document = ExtractJson(text, LooksLikePlan);
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
                    : $"The reply holds no valid JSON (it begins \"{preview}\"). Answer with a JSON object of the form {{\"steps\": [...]}} and nothing else."),
        ]);
    }

    /// <summary>
    /// The first JSON value in model output that <paramref name="accept"/> takes, looking in code
    /// fences first and then after prose; failing that the first JSON value found; null when there is none.
    /// </summary>
    internal static JsonDocument? ExtractJson(string text, Func<JsonElement, bool> accept)
    {
        JsonDocument? fallbackDocument = null;
        foreach (var candidate in Candidates(text))
        {
            if (TryParseValue(candidate, out var document))
            {
                if (accept(document.RootElement))
                {
                    fallbackDocument?.Dispose();
                    return document;
                }

                // Keep the first JSON value seen so the error can say what shape it had.
                if (fallbackDocument is null)
                {
                    fallbackDocument = document;
                }
                else
                {
                    document.Dispose();
                }
            }
        }

        return fallbackDocument;
    }

    /// <summary>Where a JSON value might start: fenced blocks first, then each brace or bracket.</summary>
    private static IEnumerable<string> Candidates(string text)
    {
        var fence = 0;
        while ((fence = text.IndexOf("```", fence, StringComparison.Ordinal)) >= 0)
        {
            var lineEnd = text.IndexOf('\n', fence);
            if (lineEnd < 0)
            {
                break;
            }

            var close = text.IndexOf("```", lineEnd, StringComparison.Ordinal);
            // An unclosed fence (a truncated reply) still gets its content tried.
            var body = close < 0 ? text[(lineEnd + 1)..] : text[(lineEnd + 1)..close];
            yield return body;
            if (close < 0)
            {
                break;
            }

            fence = close + 3;
        }

        var tried = 0;
        for (var i = 0; i < text.Length && tried < MaxCandidates; i++)
        {
            if (text[i] is '{' or '[')
            {
                tried++;
                yield return text[i..];
            }
        }
    }

    private static bool TryParseValue(string candidate, out JsonDocument document)
    {
        var trimmed = candidate.TrimStart();
        document = null!;
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '['))
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(trimmed);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            AllowTrailingCommas = DocumentOptions.AllowTrailingCommas,
            CommentHandling = DocumentOptions.CommentHandling,
            MaxDepth = DocumentOptions.MaxDepth,
        });
        try
        {
            // Reads exactly one value, so prose after the JSON does not matter.
            document = JsonDocument.ParseValue(ref reader);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool LooksLikePlan(JsonElement root) => root.ValueKind switch
    {
        JsonValueKind.Array => root.GetArrayLength() > 0 && root[0].ValueKind == JsonValueKind.Object,
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

        if (root.ValueKind == JsonValueKind.Object && TryGet(root, StepsKeys, out var value))
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

    private static Plan? ReadPlan(JsonElement root, string? goal, List<PlanProblem> problems)
    {
        if (!FindStepsArray(root, out var stepsElement))
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidShape,
                null,
                $"The JSON is {Describe(root)}, not a plan. Answer with a JSON object of the form {{\"steps\": [{{\"id\": \"s1\", \"description\": \"...\", \"dependencies\": []}}]}}."));
            return null;
        }

        if (root.ValueKind == JsonValueKind.Object && TryGet(root, GoalKeys, out var goalElement) && goalElement.ValueKind == JsonValueKind.String)
        {
            goal ??= goalElement.GetString();
        }
        else if (root.ValueKind == JsonValueKind.Object && TryGet(root, StepsKeys, out var nested) && nested.ValueKind == JsonValueKind.Object
                 && TryGet(nested, GoalKeys, out goalElement) && goalElement.ValueKind == JsonValueKind.String)
        {
            goal ??= goalElement.GetString();
        }

        var steps = new List<PlanStep>(stepsElement.GetArrayLength());
        var index = 0;
        foreach (var element in stepsElement.EnumerateArray())
        {
            index++;
            var step = ReadStep(element, index, problems);
            if (step is not null)
            {
                steps.Add(step);
            }
        }

        return new Plan(steps, goal);
    }

    private static PlanStep? ReadStep(JsonElement element, int position, List<PlanProblem> problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidShape,
                null,
                $"Step number {position} is {Describe(element)}; every step must be a JSON object with at least \"id\" and \"description\"."));
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

        return new PlanStep
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
                    $"dependencies is {Describe(element)}; list dependencies as an array of step ids, e.g. [\"s1\"]."));
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
                using var inner = JsonDocument.Parse(raw, DocumentOptions);
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
                $"arguments is {Describe(value)}; give arguments as a JSON object of parameter names to values, e.g. {{\"query\": \"...\"}}."));
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
                    $"fallback is {Describe(element)}; give it as an object {{\"description\": \"...\", \"tool\": null}} or leave it out."));
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
            default:
                kind = StepKind.Action;
                return false;
        }
    }

    private static bool TryGet(JsonElement element, string[] keys, out JsonElement value)
    {
        foreach (var key in keys)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (MatchesKey(property.Name, key))
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Whether a property name is <paramref name="key"/> (lower case, no separators) once '_', '-'
    /// and spaces are dropped and case is ignored; compares in place, without allocating.
    /// </summary>
    private static bool MatchesKey(string name, string key)
    {
        var k = 0;
        foreach (var c in name)
        {
            if (c is '_' or '-' or ' ')
            {
                continue;
            }

            if (k >= key.Length || char.ToLowerInvariant(c) != key[k])
            {
                return false;
            }

            k++;
        }

        return k == key.Length;
    }

    /// <summary>"depends_on", "dependsOn", "Depends-On" all become "dependson".</summary>
    private static string NormalizeKey(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            if (c is not ('_' or '-' or ' '))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    private static string? ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Trim(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object with keys " + string.Join(", ", element.EnumerateObject().Take(8).Select(p => p.Name)),
        JsonValueKind.Array => $"an array of {element.GetArrayLength().ToString(CultureInfo.InvariantCulture)} items",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
