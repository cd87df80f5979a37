namespace Plansmith.Agent.Plans;

/// <summary>
/// The checks of <see cref="StepKind.Collect"/> steps (what a map step becomes): a collect step
/// calls no tool and collects at least one step. And one courtesy to the planner: when several
/// items of one collect step have the same problem (a map step over an unknown tool), it is
/// reported once, on the collect step, which has the id the planner wrote. Part of <see cref="PlanValidator"/>.
/// </summary>
internal static class PlanCollectChecks
{
    /// <summary>Checks one collect step; other steps pass.</summary>
    public static void Check(PlanStep step, List<PlanProblem> problems)
    {
        if (step.Kind != StepKind.Collect)
        {
            return;
        }

        var stepId = PlanProblemText.NullIfEmpty(step.Id);
        if (step.Tool is not null)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidMap,
                stepId,
                $"is a collect step but names tool '{step.Tool}'. A collect step only gathers its dependencies' outputs: remove the tool, or write a map step {{\"id\": \"{step.Id}\", \"tool\": \"{step.Tool}\", \"map\": {{\"name\": [\"...\"]}}}}."));
        }

        if (step.Dependencies.Count == 0)
        {
            problems.Add(new PlanProblem(
                PlanProblemCode.InvalidMap,
                stepId,
                "is a collect step with no dependencies, so it collects nothing. List the steps whose outputs it gathers, or remove it."));
        }
    }

    /// <summary>
    /// Replaces problems that two or more dependencies of one collect step share (same code, same
    /// message) by one problem on the collect step that names them.
    /// </summary>
    public static List<PlanProblem> MergeItemProblems(PlanGraph graph, List<PlanProblem> problems)
    {
        if (problems.Count < 2 || !graph.Steps.Any(s => s.Kind == StepKind.Collect))
        {
            return problems;
        }

        var collectorOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var step in graph.Steps.Where(s => s.Kind == StepKind.Collect && s.Id.Length > 0))
        {
            foreach (var dependency in step.Dependencies)
            {
                collectorOf.TryAdd(dependency, step.Id);
            }
        }

        var groups = problems
            .Where(p => p.StepId is { } id && collectorOf.ContainsKey(id))
            .GroupBy(p => (Collector: collectorOf[p.StepId!], p.Code, p.Message))
            .Where(g => g.Count() > 1)
            .ToDictionary(g => g.Key, g => g.Select(p => p.StepId!).Distinct(StringComparer.Ordinal).ToList());
        if (groups.Count == 0)
        {
            return problems;
        }

        var merged = new List<PlanProblem>(problems.Count);
        var reported = new HashSet<(string, PlanProblemCode, string)>();
        foreach (var problem in problems)
        {
            if (problem.StepId is not { } id || !collectorOf.TryGetValue(id, out var collector)
                || !groups.TryGetValue((collector, problem.Code, problem.Message), out var ids))
            {
                merged.Add(problem);
            }
            else if (reported.Add((collector, problem.Code, problem.Message)))
            {
                // The group is reported where its first problem was; the rest of it is dropped.
                merged.Add(new PlanProblem(problem.Code, collector, $"items {MapSteps.DescribeIds(ids, collector)}: {problem.Message}"));
            }
        }

        return merged;
    }
}
