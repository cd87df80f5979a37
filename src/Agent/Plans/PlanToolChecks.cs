using System.Text.Json;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Plans;

/// <summary>
/// The checks of what a step calls and who does it: the tool exists (or the closest name is
/// suggested), the arguments are the tool's parameters and the required ones are there, arguments
/// have a tool, a subgoal names none, and the agent profile exists. Part of <see cref="PlanValidator"/>.
/// </summary>
internal static class PlanToolChecks
{
    /// <summary>Checks a step's tool call, or its fallback's when <paramref name="prefix"/> is <c>"fallback "</c>.</summary>
    public static void CheckTool(
        PlanStep step,
        string? tool,
        IReadOnlyDictionary<string, JsonElement> arguments,
        string prefix,
        IReadOnlyKernelPluginCollection plugins,
        List<PlanProblem> problems)
    {
        var stepId = PlanProblemText.NullIfEmpty(step.Id);
        if (tool is null)
        {
            if (arguments.Count > 0)
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.ArgumentsWithoutTool,
                    stepId,
                    $"{prefix}has arguments ({string.Join(", ", arguments.Keys)}) but no tool. Name the tool that takes them, or drop the arguments and say what to do in the description."));
            }

            return;
        }

        if (step.Kind == StepKind.Subgoal && prefix.Length == 0)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.SubgoalWithTool,
                stepId,
                $"is a subgoal but names tool '{tool}'. A subgoal is expanded into its own plan: remove the tool, or make the step an action."));
            return;
        }

        if (!ToolResolver.TryResolve(plugins, tool, out var function))
        {
            var names = ToolResolver.AllNames(plugins).ToList();
            var suggestion = Closest(tool, names);
            problems.Add(new PlanProblem(
                PlanProblemCode.UnknownTool,
                stepId,
                $"{prefix}uses tool '{tool}', which does not exist."
                + (suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?")
                + (names.Count == 0 ? " No tools are available: leave \"tool\" null and describe the work." : $" Available tools: {PlanProblemText.ListNames(names)}.")));
            return;
        }

        var parameters = function.Metadata.Parameters;
        var canonical = ToolResolver.CanonicalName(function);
        foreach (var name in arguments.Keys)
        {
            if (!parameters.Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.UnknownArgument,
                    stepId,
                    $"{prefix}passes argument '{name}', which tool '{canonical}' does not take. Its parameters are: {DescribeParameters(parameters)}."));
            }
        }

        foreach (var parameter in parameters)
        {
            if (parameter.IsRequired && !arguments.Keys.Any(k => string.Equals(k, parameter.Name, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.MissingArgument,
                    stepId,
                    $"{prefix}does not pass required argument '{parameter.Name}' of tool '{canonical}'"
                    + (string.IsNullOrWhiteSpace(parameter.Description) ? "." : $" ({parameter.Description}).")
                    + " Add it to \"arguments\"."));
            }
        }
    }

    /// <summary>Checks that the agent profile a step (or its fallback) names exists.</summary>
    public static void CheckAgent(PlanStep step, string? agent, string prefix, IReadOnlyCollection<string> agents, List<PlanProblem> problems)
    {
        if (agent is null || agents.Contains(agent, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        problems.Add(new PlanProblem(
            PlanProblemCode.UnknownAgent,
            PlanProblemText.NullIfEmpty(step.Id),
            agents.Count == 0
                ? $"{prefix}is assigned to agent '{agent}', but no agent profiles exist. Leave \"agent\" out."
                : $"{prefix}is assigned to agent '{agent}', which does not exist. Use one of: {PlanProblemText.ListNames(agents)}, or leave \"agent\" out."));
    }

    private static string DescribeParameters(IReadOnlyList<KernelParameterMetadata> parameters) =>
        parameters.Count == 0
            ? "none"
            : string.Join(", ", parameters.Select(p => p.IsRequired ? p.Name + " (required)" : p.Name));

    private static string? Closest(string wanted, List<string> names)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in names)
        {
            var distance = Distance(wanted.ToUpperInvariant(), name.ToUpperInvariant());
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = name;
            }
        }

        // Suggest only names that are plausibly what was meant.
        return best is not null && bestDistance <= Math.Max(2, wanted.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
