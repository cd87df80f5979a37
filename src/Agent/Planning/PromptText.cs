using System.Globalization;
using System.Text;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Agents;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>Turns tools, agents and step results into the text the prompts take.</summary>
internal static class PromptText
{
    public static string Tools(IEnumerable<KernelPlugin> plugins)
    {
        var text = new StringBuilder();
        foreach (var plugin in plugins)
        {
            foreach (var function in plugin)
            {
                var metadata = function.Metadata;
                var parameters = string.Join(", ", metadata.Parameters.Select(p =>
                {
                    var type = TypeName(p.ParameterType);
                    var requirement = p.IsRequired ? "required" : "optional, default " + (p.DefaultValue ?? "none");
                    var description = string.IsNullOrWhiteSpace(p.Description) ? string.Empty : ": " + p.Description;
                    return $"{p.Name} ({type}, {requirement}{description})";
                }));
                text.Append("- ").Append(plugin.Name).Append('.').Append(function.Name);
                text.Append(" — ").Append(string.IsNullOrWhiteSpace(metadata.Description) ? "no description" : metadata.Description);
                text.Append(parameters.Length == 0 ? " Parameters: none." : " Parameters: " + parameters + ".");
                text.Append('\n');
            }
        }

        return text.Length == 0 ? "none" : text.ToString().TrimEnd();
    }

    public static string Agents(IDictionary<string, AgentProfile> agents)
    {
        if (agents.Count == 0)
        {
            return "none";
        }

        return string.Join('\n', agents.Select(a =>
        {
            var plugins = a.Value.Plugins is null ? "all tools" : a.Value.Plugins.Count == 0 ? "no tools" : "tools: " + string.Join(", ", a.Value.Plugins);
            return $"- {a.Key} — {Short(a.Value.Instructions, 200)} ({plugins})";
        }));
    }

    /// <summary>The outputs of <paramref name="ids"/>, each under a heading with its step's description.</summary>
    public static string Outputs(Plan plan, IEnumerable<string> ids, IReadOnlyDictionary<string, string> outputs, int maxChars)
    {
        var text = new StringBuilder();
        var listed = ids.ToList();
        foreach (var id in listed)
        {
            if (!outputs.TryGetValue(id, out var output))
            {
                continue;
            }

            var step = plan.FindStep(id);
            text.Append("### ").Append(id).Append(": ").Append(step?.Description ?? string.Empty).Append('\n');
            text.Append(CollectedAbove(step, listed) ?? Truncate(output, maxChars)).Append("\n\n");
        }

        return text.Length == 0 ? "none" : text.ToString().TrimEnd();
    }

    /// <summary>Every step of the plan with its status and output or error, for the final answer.</summary>
    public static string Results(Plan plan, IReadOnlyList<StepRecord> records, int maxChars)
    {
        var text = new StringBuilder();
        foreach (var step in plan.Steps)
        {
            var record = records.FirstOrDefault(r => r.StepId == step.Id);
            var status = record?.Status ?? StepStatus.Pending;
            text.Append("### ").Append(step.Id).Append(": ").Append(step.Description)
                .Append(" (").Append(status.ToString().ToLowerInvariant()).Append(")\n");
            if (record?.Output is { } output)
            {
                text.Append(CollectedAbove(step, plan.Steps.Select(s => s.Id)) ?? Truncate(output, maxChars)).Append("\n\n");
            }
            else
            {
                text.Append("No result").Append(record?.Error is { } error ? ": " + Short(error, 300) : ".").Append("\n\n");
            }
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// For a collect step whose items are all <paramref name="shown"/> too, a pointer to them instead
    /// of its output, which repeats theirs; null otherwise.
    /// </summary>
    private static string? CollectedAbove(PlanStep? step, IEnumerable<string> shown) =>
        step is { Kind: StepKind.Collect, Dependencies.Count: > 0 } && step.Dependencies.All(shown.Contains)
            ? $"The results of {MapSteps.DescribeIds(step.Dependencies, step.Id)} together, as one JSON array."
            : null;

    public static string Truncate(string text, int maxChars) =>
        text.Length <= maxChars
            ? text
            : text[..maxChars] + $"\n[… cut: {(text.Length - maxChars).ToString(CultureInfo.InvariantCulture)} more characters]";

    public static string Short(string text, int maxChars) =>
        text.Length <= maxChars ? text : text[..maxChars] + "…";

    private static string TypeName(Type? type) => type switch
    {
        null => "string",
        _ when type == typeof(string) => "string",
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) => "integer",
        _ when type == typeof(double) || type == typeof(float) || type == typeof(decimal) => "number",
        _ when type == typeof(bool) => "boolean",
        _ when type.IsArray || (type.IsGenericType && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) => "array",
        _ when type.IsEnum => "one of " + string.Join("|", Enum.GetNames(type)),
        _ => "object",
    };
}
