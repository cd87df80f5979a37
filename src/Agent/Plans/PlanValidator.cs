using System.Globalization;
using System.Text.Json;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Checks a plan against the plan contract and the kernel's tools. It reports every problem it
/// finds, each worded so that a planner model can fix it.
/// </summary>
public sealed class PlanValidator
{
    private const int MaxNamesListed = 25;
    private readonly PlanValidationOptions _options;

    /// <summary>Creates a validator with the given limits.</summary>
    public PlanValidator(PlanValidationOptions? options = null)
    {
        _options = options ?? new PlanValidationOptions();
        if (_options.MaxSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxSteps, "MaxSteps must be at least 1.");
        }
    }

    /// <summary>Throws when the plan has any problem.</summary>
    /// <param name="plan">The plan to check.</param>
    /// <param name="plugins">The tools steps may call; normally <c>kernel.Plugins</c>.</param>
    /// <exception cref="PlanValidationException">Lists every problem found.</exception>
    /// <param name="agents">The agent profiles steps may name; null to accept any name.</param>
    public void Validate(Plan plan, IReadOnlyKernelPluginCollection plugins, IReadOnlyCollection<string>? agents = null)
    {
        var problems = Check(plan, plugins, agents);
        if (problems.Count > 0)
        {
            throw new PlanValidationException(problems);
        }
    }

    /// <summary>Every problem the plan has; empty when it is valid.</summary>
    /// <param name="plan">The plan to check.</param>
    /// <param name="plugins">The tools steps may call; normally <c>kernel.Plugins</c>.</param>
    /// <param name="agents">The agent profiles steps may name; null to accept any name.</param>
    public IReadOnlyList<PlanProblem> Check(Plan plan, IReadOnlyKernelPluginCollection plugins, IReadOnlyCollection<string>? agents = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(plugins);
        var problems = new List<PlanProblem>();
        var steps = plan.Steps;
        if (steps.Count == 0)
        {
            problems.Add(new PlanProblem(PlanProblemCode.NoSteps, null, "The plan has no steps. Give at least one step."));
            return problems;
        }

        if (steps.Count > _options.MaxSteps)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.TooManySteps,
                null,
                $"The plan has {steps.Count} steps; at most {_options.MaxSteps} are allowed. Merge small steps or make large parts subgoal steps."));
        }

        CheckLengths(steps, problems);
        var byId = CheckIds(steps, problems);
        CheckDependencies(steps, byId, problems);
        CheckCycles(steps, byId, problems);
        foreach (var step in steps)
        {
            CheckTool(step, step.Tool, step.Arguments, "", plugins, problems);
            if (step.Fallback is { } fallback)
            {
                CheckTool(step, fallback.Tool, fallback.Arguments, "fallback ", plugins, problems);
            }

            CheckReferences(step, byId, problems);
            if (agents is not null)
            {
                CheckAgent(step, step.Agent, "", agents, problems);
                CheckAgent(step, step.Fallback?.Agent, "fallback ", agents, problems);
            }
        }

        return problems;
    }

    private void CheckLengths(IReadOnlyList<PlanStep> steps, List<PlanProblem> problems)
    {
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step.Id is { } id && id.Length > _options.MaxIdLength)
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.TooLong,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"Step number {i + 1} has an id of {id.Length} characters; at most {_options.MaxIdLength} are allowed. Use short ids such as \"s{i + 1}\".")));
            }

            foreach (var (what, text) in new[] { ("description", step.Description), ("fallback description", step.Fallback?.Description) })
            {
                if (text is not null && text.Length > _options.MaxDescriptionLength)
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.TooLong,
                        step.Id is { Length: > 0 } known && known.Length <= _options.MaxIdLength ? known : null,
                        string.Create(CultureInfo.InvariantCulture, $"the {what} has {text.Length} characters; at most {_options.MaxDescriptionLength} are allowed. Say what the step does in a sentence or two.")));
                }
            }
        }
    }

    private static Dictionary<string, PlanStep> CheckIds(IReadOnlyList<PlanStep> steps, List<PlanProblem> problems)
    {
        var byId = new Dictionary<string, PlanStep>(steps.Count, StringComparer.Ordinal);
        var reportedDuplicates = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (string.IsNullOrWhiteSpace(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.EmptyId,
                    null,
                    $"Step number {i + 1} (\"{Short(step.Description)}\") has no id. Give every step a unique id such as \"s{i + 1}\"."));
                continue;
            }

            if (!StepReferences.IsValidId(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.InvalidId,
                    step.Id,
                    "the id may hold only letters, digits, '_' and '-', so that ${id} references can name it. Rename the step, e.g. \"s" + (i + 1).ToString(CultureInfo.InvariantCulture) + "\"."));
            }

            if (!byId.TryAdd(step.Id, step) && reportedDuplicates.Add(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.DuplicateId,
                    step.Id,
                    $"{steps.Count(s => s.Id == step.Id)} steps have this id. Give each step its own id."));
            }
        }

        return byId;
    }

    private static void CheckDependencies(IReadOnlyList<PlanStep> steps, Dictionary<string, PlanStep> byId, List<PlanProblem> problems)
    {
        foreach (var step in steps)
        {
            foreach (var dependency in step.Dependencies)
            {
                if (!byId.ContainsKey(dependency))
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.UnknownDependency,
                        NullIfEmpty(step.Id),
                        $"depends on '{dependency}', but no step has that id. Use one of the plan's ids ({ListNames(byId.Keys)}) or remove the dependency."));
                }
            }
        }
    }

    /// <summary>Finds strongly connected components (Tarjan, iteratively) and names one cycle in each.</summary>
    private static void CheckCycles(IReadOnlyList<PlanStep> steps, Dictionary<string, PlanStep> byId, List<PlanProblem> problems)
    {
        var ids = byId.Keys.ToList();
        var indexOf = new Dictionary<string, int>(ids.Count, StringComparer.Ordinal);
        for (var i = 0; i < ids.Count; i++)
        {
            indexOf[ids[i]] = i;
        }

        var edges = new List<int>[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            edges[i] = byId[ids[i]].Dependencies
                .Where(indexOf.ContainsKey)
                .Select(d => indexOf[d])
                .Distinct()
                .ToList();
        }

        var index = new int[ids.Count];
        var low = new int[ids.Count];
        var onStack = new bool[ids.Count];
        Array.Fill(index, -1);
        var stack = new Stack<int>();
        var counter = 0;
        var work = new Stack<(int Node, int Edge)>();
        for (var root = 0; root < ids.Count; root++)
        {
            if (index[root] >= 0)
            {
                continue;
            }

            work.Push((root, 0));
            while (work.Count > 0)
            {
                var (node, edge) = work.Pop();
                if (edge == 0)
                {
                    index[node] = low[node] = counter++;
                    stack.Push(node);
                    onStack[node] = true;
                }

                if (edge < edges[node].Count)
                {
                    work.Push((node, edge + 1));
                    var next = edges[node][edge];
                    if (index[next] < 0)
                    {
                        work.Push((next, 0));
                    }
                    else if (onStack[next])
                    {
                        low[node] = Math.Min(low[node], index[next]);
                    }

                    continue;
                }

                if (work.Count > 0)
                {
                    var parent = work.Peek().Node;
                    low[parent] = Math.Min(low[parent], low[node]);
                }

                if (low[node] == index[node])
                {
                    var component = new HashSet<int>();
                    int member;
                    do
                    {
                        member = stack.Pop();
                        onStack[member] = false;
                        component.Add(member);
                    }
                    while (member != node);

                    if (component.Count > 1 || edges[node].Contains(node))
                    {
                        problems.Add(DescribeCycle(steps, ids, edges, component));
                    }
                }
            }
        }
    }

    private static PlanProblem DescribeCycle(IReadOnlyList<PlanStep> steps, List<string> ids, List<int>[] edges, HashSet<int> component)
    {
        // Start from the member written first in the plan, so the message is stable.
        var start = steps.Select(s => ids.IndexOf(s.Id)).First(component.Contains);
        if (edges[start].Contains(start))
        {
            return new PlanProblem(
                PlanProblemCode.Cycle,
                ids[start],
                $"depends on itself (cycle {ids[start]} → {ids[start]}). Remove '{ids[start]}' from its own dependencies.");
        }

        // Breadth-first search inside the component for the shortest way back to the start.
        var previous = new Dictionary<int, int>();
        var queue = new Queue<int>();
        queue.Enqueue(start);
        var closing = -1;
        while (queue.Count > 0 && closing < 0)
        {
            var node = queue.Dequeue();
            foreach (var next in edges[node])
            {
                if (!component.Contains(next))
                {
                    continue;
                }

                if (next == start)
                {
                    closing = node;
                    break;
                }

                if (previous.TryAdd(next, node))
                {
                    queue.Enqueue(next);
                }
            }
        }

        var path = new List<int> { closing };
        while (path[^1] != start)
        {
            path.Add(previous[path[^1]]);
        }

        path.Reverse();
        path.Add(start);
        var names = path.Select(i => ids[i]).ToList();
        var links = string.Join(", ", names.Zip(names.Skip(1), (a, b) => $"{a} depends on {b}"));
        return new PlanProblem(
            PlanProblemCode.Cycle,
            ids[start],
            $"is part of a dependency cycle {string.Join(" → ", names)} ({links}). Steps in a cycle can never start; remove one of these dependencies.");
    }

    private static void CheckTool(
        PlanStep step,
        string? tool,
        IReadOnlyDictionary<string, JsonElement> arguments,
        string prefix,
        IReadOnlyKernelPluginCollection plugins,
        List<PlanProblem> problems)
    {
        var stepId = NullIfEmpty(step.Id);
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
                + (names.Count == 0 ? " No tools are available: leave \"tool\" null and describe the work." : $" Available tools: {ListNames(names)}.")));
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

    private static void CheckAgent(PlanStep step, string? agent, string prefix, IReadOnlyCollection<string> agents, List<PlanProblem> problems)
    {
        if (agent is null || agents.Contains(agent, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        problems.Add(new PlanProblem(
            PlanProblemCode.UnknownAgent,
            NullIfEmpty(step.Id),
            agents.Count == 0
                ? $"{prefix}is assigned to agent '{agent}', but no agent profiles exist. Leave \"agent\" out."
                : $"{prefix}is assigned to agent '{agent}', which does not exist. Use one of: {ListNames(agents)}, or leave \"agent\" out."));
    }

    private static void CheckReferences(PlanStep step, Dictionary<string, PlanStep> byId, List<PlanProblem> problems)
    {
        var stepId = NullIfEmpty(step.Id);
        var texts = new List<(string Where, string Text)> { ("description", step.Description) };
        CollectStrings("argument", step.Arguments, texts);
        if (step.Fallback is { } fallback)
        {
            texts.Add(("fallback description", fallback.Description));
            CollectStrings("fallback argument", fallback.Arguments, texts);
        }

        HashSet<string>? ancestors = null;
        foreach (var (where, text) in texts)
        {
            if (!text.Contains("${", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = StepReferences.Parse(text, out var errors);
            foreach (var error in errors)
            {
                problems.Add(new PlanProblem(PlanProblemCode.InvalidReference, stepId, $"{where}: {error}"));
            }

            foreach (var reference in parts.Select(p => p.Reference).OfType<StepReference>())
            {
                if (!byId.ContainsKey(reference.StepId))
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.UnknownReference,
                        stepId,
                        $"{where} refers to {reference.Text}, but no step has id '{reference.StepId}'. Refer only to steps of this plan ({ListNames(byId.Keys)})."));
                    continue;
                }

                // Most references name a direct dependency; only the rest need the transitive walk.
                if (step.Dependencies.Contains(reference.StepId, StringComparer.Ordinal))
                {
                    continue;
                }

                ancestors ??= Ancestors(step, byId);
                if (!ancestors.Contains(reference.StepId))
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.ReferenceNotDependency,
                        stepId,
                        $"{where} refers to {reference.Text}, but '{reference.StepId}' is not among this step's dependencies, so its output may not exist yet. Add \"{reference.StepId}\" to this step's dependencies."));
                }
            }
        }
    }

    private static void CollectStrings(string where, IReadOnlyDictionary<string, JsonElement> arguments, List<(string, string)> texts)
    {
        foreach (var (name, value) in arguments)
        {
            CollectStrings($"{where} '{name}'", value, texts);
        }
    }

    private static void CollectStrings(string where, JsonElement value, List<(string, string)> texts)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                texts.Add((where, value.GetString()!));
                break;
            case JsonValueKind.Array:
                foreach (var item in value.EnumerateArray())
                {
                    CollectStrings(where, item, texts);
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    CollectStrings(where, property.Value, texts);
                }

                break;
        }
    }

    /// <summary>The step's transitive dependencies.</summary>
    private static HashSet<string> Ancestors(PlanStep step, Dictionary<string, PlanStep> byId)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(step.Dependencies);
        while (pending.Count > 0)
        {
            var id = pending.Pop();
            if (seen.Add(id) && byId.TryGetValue(id, out var ancestor))
            {
                foreach (var dependency in ancestor.Dependencies)
                {
                    pending.Push(dependency);
                }
            }
        }

        return seen;
    }

    private static string DescribeParameters(IReadOnlyList<KernelParameterMetadata> parameters) =>
        parameters.Count == 0
            ? "none"
            : string.Join(", ", parameters.Select(p => p.IsRequired ? p.Name + " (required)" : p.Name));

    private static string ListNames(IEnumerable<string> names)
    {
        var list = names.Take(MaxNamesListed + 1).ToList();
        var shown = string.Join(", ", list.Take(MaxNamesListed));
        return list.Count > MaxNamesListed ? shown + ", …" : shown;
    }

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

    private static string? NullIfEmpty(string id) => string.IsNullOrWhiteSpace(id) ? null : id;

    private static string Short(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
