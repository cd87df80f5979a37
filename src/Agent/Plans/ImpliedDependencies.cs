using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// A <c>${s1}</c> reference is a dependency: a step that reads s1's output cannot start before s1
/// completes, so a planner need not also list it. <see cref="Add"/> adds each step of the plan
/// that a step refers to (in its description, arguments or fallback) to its dependencies, unless
/// the step already waits for it, directly or through other steps. References to steps the plan
/// does not have are left to <see cref="PlanValidator"/>, which names them.
/// </summary>
public static class ImpliedDependencies
{
    /// <summary>The plan with every implied dependency added; the same instance when none is missing.</summary>
    public static Plan Add(Plan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var dependencies = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            dependencies.TryAdd(step.Id, [.. step.Dependencies]);
        }

        var changed = false;
        var steps = new List<PlanStep>(plan.Steps.Count);
        foreach (var step in plan.Steps)
        {
            var added = new List<string>();
            foreach (var id in ReferencedIds(step))
            {
                if (id == step.Id || !dependencies.ContainsKey(id) || added.Contains(id) || WaitsFor(step.Id, id, dependencies))
                {
                    continue;
                }

                added.Add(id);
                if (dependencies.TryGetValue(step.Id, out var own) && ReferenceEquals(plan.FindStep(step.Id), step))
                {
                    own.Add(id);
                }
            }

            changed |= added.Count > 0;
            steps.Add(added.Count == 0 ? step : step with { Dependencies = [.. step.Dependencies, .. added] });
        }

        return changed ? plan with { Steps = steps } : plan;
    }

    /// <summary>Whether <paramref name="from"/> already waits for <paramref name="target"/>, directly or not.</summary>
    private static bool WaitsFor(string from, string target, Dictionary<string, List<string>> dependencies)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var pending = new Stack<string>();
        pending.Push(from);
        while (pending.Count > 0)
        {
            if (!dependencies.TryGetValue(pending.Pop(), out var next))
            {
                continue;
            }

            foreach (var id in next)
            {
                if (id == target)
                {
                    return true;
                }

                if (seen.Add(id))
                {
                    pending.Push(id);
                }
            }
        }

        return false;
    }

    /// <summary>The ids the step's well-formed references name, in the order they are written.</summary>
    private static IEnumerable<string> ReferencedIds(PlanStep step)
    {
        var texts = new List<string> { step.Description };
        Strings(step.Arguments.Values, texts);
        if (step.Fallback is { } fallback)
        {
            texts.Add(fallback.Description);
            Strings(fallback.Arguments.Values, texts);
        }

        return texts
            .Where(t => t.Contains("${", StringComparison.Ordinal))
            .SelectMany(StepReferences.Find)
            .Select(r => r.StepId);
    }

    private static void Strings(IEnumerable<JsonElement> values, List<string> texts)
    {
        foreach (var value in values)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    texts.Add(value.GetString()!);
                    break;
                case JsonValueKind.Array:
                    Strings(value.EnumerateArray(), texts);
                    break;
                case JsonValueKind.Object:
                    Strings(value.EnumerateObject().Select(p => p.Value), texts);
                    break;
            }
        }
    }
}
