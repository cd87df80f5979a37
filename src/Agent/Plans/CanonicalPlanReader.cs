using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Reads the canonical plan JSON that <see cref="PlanJson.Write"/> writes, key for key, listing
/// every departure from it as a <see cref="PlanProblem"/>. It takes no shortcuts a model might
/// need: that leniency belongs to the planner's reader, not to the stored form.
/// </summary>
internal static class CanonicalPlanReader
{
    private const string StepKeys = "id, description, dependencies, kind, tool, arguments, agent, fallback";
    private const string FallbackKeys = "description, tool, arguments, agent";

    /// <summary>The plan in <paramref name="root"/>, or null when it has no steps array to read.</summary>
    public static Plan? ReadPlan(JsonElement root, List<PlanProblem> problems)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, null, $"The JSON is {PlanJson.Describe(root)}, not a plan. A plan is an object {{\"goal\": \"...\", \"steps\": [...]}}."));
            return null;
        }

        string? goal = null;
        JsonElement? steps = null;
        foreach (var property in root.EnumerateObject())
        {
            switch (property.Name)
            {
                case "goal":
                    goal = OptionalString(property, null, problems);
                    break;
                case "steps" when property.Value.ValueKind == JsonValueKind.Array:
                    steps = property.Value;
                    break;
                case "steps":
                    problems.Add(WrongType(null, property, "an array of steps"));
                    break;
                default:
                    problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, null, $"The plan has key '{property.Name}', which the canonical form does not have. Its keys are: goal, steps."));
                    break;
            }
        }

        if (steps is not { } stepsElement)
        {
            if (!root.TryGetProperty("steps", out _))
            {
                problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, null, "The plan has no \"steps\" array. A plan is an object {\"goal\": \"...\", \"steps\": [...]}."));
            }

            return null;
        }

        var list = new List<PlanStep>(stepsElement.GetArrayLength());
        var position = 0;
        foreach (var element in stepsElement.EnumerateArray())
        {
            position++;
            if (ReadStep(element, position, problems) is { } step)
            {
                list.Add(step);
            }
        }

        return new Plan(list, goal);
    }

    private static PlanStep? ReadStep(JsonElement element, int position, List<PlanProblem> problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, null, $"Step number {position} is {PlanJson.Describe(element)}; every step is an object with at least \"id\" and \"description\"."));
            return null;
        }

        var label = element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String && idElement.GetString() is { Length: > 0 } known
            ? known
            : $"#{position}";
        string? id = null;
        string? description = null;
        IReadOnlyList<string> dependencies = [];
        var kind = StepKind.Action;
        string? tool = null;
        var arguments = PlanStep.NoArguments;
        string? agent = null;
        StepFallback? fallback = null;
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    id = RequiredString(property, label, problems);
                    break;
                case "description":
                    description = RequiredString(property, label, problems);
                    break;
                case "dependencies":
                    dependencies = ReadDependencies(property, label, problems);
                    break;
                case "kind":
                    kind = ReadKind(property, label, problems);
                    break;
                case "tool":
                    tool = OptionalString(property, label, problems);
                    break;
                case "arguments":
                    arguments = ReadArguments(property, label, problems);
                    break;
                case "agent":
                    agent = OptionalString(property, label, problems);
                    break;
                case "fallback":
                    fallback = ReadFallback(property, label, problems);
                    break;
                default:
                    problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, label, $"has key '{property.Name}', which the canonical form does not have. A step's keys are: {StepKeys}."));
                    break;
            }
        }

        Require(id, "id", label, problems);
        Require(description, "description", label, problems);
        return new PlanStep
        {
            Id = id ?? string.Empty,
            Description = description ?? string.Empty,
            Dependencies = dependencies,
            Kind = kind,
            Tool = tool,
            Arguments = arguments,
            Agent = agent,
            Fallback = fallback,
        };
    }

    private static List<string> ReadDependencies(JsonProperty property, string label, List<PlanProblem> problems)
    {
        var dependencies = new List<string>();
        if (property.Value.ValueKind == JsonValueKind.Null)
        {
            return dependencies;
        }

        if (property.Value.ValueKind != JsonValueKind.Array)
        {
            problems.Add(WrongType(label, property, "an array of step ids"));
            return dependencies;
        }

        foreach (var item in property.Value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.String)
            {
                dependencies.Add(item.GetString()!);
            }
            else
            {
                problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, label, $"dependency {item.GetRawText()} is not a string; dependencies are step ids, e.g. [\"s1\", \"s2\"]."));
            }
        }

        return dependencies;
    }

    private static StepKind ReadKind(JsonProperty property, string label, List<PlanProblem> problems)
    {
        switch (property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null)
        {
            case "action":
                return StepKind.Action;
            case "verify":
                return StepKind.Verify;
            case "subgoal":
                return StepKind.Subgoal;
            case "collect":
                return StepKind.Collect;
            case null when property.Value.ValueKind == JsonValueKind.Null:
                return StepKind.Action;
            default:
                problems.Add(new PlanProblem(PlanProblemCode.UnknownKind, label, $"kind {property.Value.GetRawText()} is not one of \"action\", \"verify\", \"subgoal\"."));
                return StepKind.Action;
        }
    }

    private static IReadOnlyDictionary<string, JsonElement> ReadArguments(JsonProperty property, string label, List<PlanProblem> problems)
    {
        switch (property.Value.ValueKind)
        {
            case JsonValueKind.Null:
                return PlanStep.NoArguments;
            case JsonValueKind.Object:
                var arguments = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var argument in property.Value.EnumerateObject())
                {
                    arguments[argument.Name] = argument.Value.Clone();
                }

                return arguments;
            default:
                problems.Add(WrongType(label, property, "an object of parameter names to values"));
                return PlanStep.NoArguments;
        }
    }

    private static StepFallback? ReadFallback(JsonProperty property, string label, List<PlanProblem> problems)
    {
        if (property.Value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (property.Value.ValueKind != JsonValueKind.Object)
        {
            problems.Add(WrongType(label, property, $"an object with keys {FallbackKeys}"));
            return null;
        }

        var where = label + " fallback";
        string? description = null;
        string? tool = null;
        var arguments = PlanStep.NoArguments;
        string? agent = null;
        foreach (var inner in property.Value.EnumerateObject())
        {
            switch (inner.Name)
            {
                case "description":
                    description = RequiredString(inner, where, problems);
                    break;
                case "tool":
                    tool = OptionalString(inner, where, problems);
                    break;
                case "arguments":
                    arguments = ReadArguments(inner, where, problems);
                    break;
                case "agent":
                    agent = OptionalString(inner, where, problems);
                    break;
                default:
                    problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, where, $"has key '{inner.Name}', which the canonical form does not have. A fallback's keys are: {FallbackKeys}."));
                    break;
            }
        }

        Require(description, "description", where, problems);
        return new StepFallback { Description = description ?? string.Empty, Tool = tool, Arguments = arguments, Agent = agent };
    }

    private static string? RequiredString(JsonProperty property, string label, List<PlanProblem> problems)
    {
        if (property.Value.ValueKind == JsonValueKind.String)
        {
            return property.Value.GetString();
        }

        problems.Add(WrongType(label, property, "a string"));
        return string.Empty;
    }

    private static string? OptionalString(JsonProperty property, string? label, List<PlanProblem> problems)
    {
        switch (property.Value.ValueKind)
        {
            case JsonValueKind.String:
                return property.Value.GetString();
            case JsonValueKind.Null:
                return null;
            default:
                problems.Add(WrongType(label, property, "a string or null"));
                return null;
        }
    }

    /// <summary>A key that was never seen; a key seen with the wrong type was reported where it was read.</summary>
    private static void Require(string? value, string key, string label, List<PlanProblem> problems)
    {
        if (value is null)
        {
            problems.Add(new PlanProblem(PlanProblemCode.InvalidShape, label, $"has no \"{key}\"; the canonical form always writes it."));
        }
    }

    private static PlanProblem WrongType(string? label, JsonProperty property, string expected) => new(
        PlanProblemCode.InvalidShape,
        label,
        $"\"{property.Name}\" is {PlanJson.Describe(property.Value)}; the canonical form has {expected} there.");
}
