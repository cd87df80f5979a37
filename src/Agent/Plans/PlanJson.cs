using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// The plan JSON contract's canonical form: <c>snake_case</c> keys, lowercase kinds, string ids,
/// <c>dependencies</c> always written. <see cref="Serialize"/> and <see cref="Write"/> write it;
/// <see cref="Deserialize"/> reads it back strictly, for plans this program wrote (the run store,
/// reports). Model output and hand-written plan files are read leniently by
/// <c>Plansmith.Agent.Planning.PlanReader</c>. Neither reader judges the plan;
/// <see cref="PlanValidator"/> does that afterwards.
/// </summary>
public static class PlanJson
{
    /// <summary>
    /// The most characters a plan's text may have (1,000,000): far above any plan within the step
    /// limit, low enough that a runaway model reply is refused before it is parsed.
    /// </summary>
    public const int MaxTextLength = 1_000_000;

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

    /// <summary>
    /// Reads a plan in the canonical form that <see cref="Serialize"/> writes. Strict: standard JSON
    /// only (no comments, no trailing commas, nothing around the value), the contract's keys exactly
    /// (an unknown key is a problem), string ids and dependencies, kinds spelt
    /// <c>action</c>, <c>verify</c>, <c>subgoal</c> or <c>collect</c>. Optional fields (<c>goal</c>,
    /// <c>dependencies</c>, <c>kind</c>, <c>tool</c>, <c>arguments</c>, <c>agent</c>,
    /// <c>fallback</c>) may be left out or null. Values are kept exactly as written. A map step is
    /// stored expanded: its items are ordinary tool steps and its id a <c>collect</c> step.
    /// </summary>
    /// <param name="json">The canonical JSON of one plan.</param>
    /// <exception cref="PlanParseException">The text is not a plan in the canonical form; every problem found is listed.</exception>
    public static Plan Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxTextLength)
        {
            throw new PlanParseException([TooLarge(json.Length)]);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new PlanParseException(
                [new PlanProblem(PlanProblemCode.NoJson, null, $"The text is not valid JSON ({ex.Message}). A plan in the canonical form is one JSON object {{\"goal\": \"...\", \"steps\": [...]}}.")],
                ex);
        }

        using (document)
        {
            var problems = new List<PlanProblem>();
            var plan = CanonicalPlanReader.ReadPlan(document.RootElement, problems);
            if (problems.Count > 0 || plan is null)
            {
                throw new PlanParseException(problems);
            }

            return plan;
        }
    }

    /// <summary>The contract's name of a step kind.</summary>
    public static string KindName(StepKind kind) => kind switch
    {
        StepKind.Verify => "verify",
        StepKind.Subgoal => "subgoal",
        StepKind.Collect => "collect",
        _ => "action",
    };

    /// <summary>The problem of a plan text longer than <see cref="MaxTextLength"/>; every reader words it the same.</summary>
    internal static PlanProblem TooLarge(int length) => new(
        PlanProblemCode.TooLarge,
        null,
        string.Create(CultureInfo.InvariantCulture, $"The plan text has {length:N0} characters; at most {MaxTextLength:N0} are read. Write a shorter plan: fewer steps, shorter descriptions, subgoal steps for large parts."));

    /// <summary>What a JSON value is, for messages: "an object with keys a, b", "an array of 3 items", "a string"….</summary>
    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object with keys " + string.Join(", ", element.EnumerateObject().Take(8).Select(p => p.Name)),
        JsonValueKind.Array => $"an array of {element.GetArrayLength().ToString(CultureInfo.InvariantCulture)} items",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
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
}
