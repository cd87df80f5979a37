using System.Globalization;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Checks a plan against the plan contract and the kernel's tools. It reports every problem it
/// finds, each worded so that a planner model can fix it.
/// </summary>
public sealed class PlanValidator
{
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
                $"The plan has {steps.Count} steps; at most {_options.MaxSteps} are allowed. Merge small steps or make large parts subgoal steps."
                + (steps.Any(s => s.Kind == StepKind.Collect) ? " A map step counts as one step per item plus one." : string.Empty)));
        }

        var graph = new PlanGraph(steps);
        CheckLengths(steps, problems);
        CheckIds(graph, problems);
        CheckDependencies(graph, problems);
        CheckCycles(graph, problems);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            PlanToolChecks.CheckTool(step, step.Tool, step.Arguments, "", plugins, problems);
            if (step.Fallback is { } fallback)
            {
                PlanToolChecks.CheckTool(step, fallback.Tool, fallback.Arguments, "fallback ", plugins, problems);
            }

            PlanCollectChecks.Check(step, problems);
            PlanReferenceChecks.Check(graph, i, problems);
            if (agents is not null)
            {
                PlanToolChecks.CheckAgent(step, step.Agent, "", agents, problems);
                PlanToolChecks.CheckAgent(step, step.Fallback?.Agent, "fallback ", agents, problems);
            }
        }

        return PlanCollectChecks.MergeItemProblems(graph, problems);
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

    private static void CheckIds(PlanGraph graph, List<PlanProblem> problems)
    {
        var steps = graph.Steps;
        var reportedDuplicates = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (string.IsNullOrWhiteSpace(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.EmptyId,
                    null,
                    $"Step number {i + 1} (\"{PlanProblemText.Short(step.Description)}\") has no id. Give every step a unique id such as \"s{i + 1}\"."));
                continue;
            }

            if (!StepReferences.IsValidId(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.InvalidId,
                    step.Id,
                    "the id may hold only letters, digits, '_' and '-', so that ${id} references can name it. Rename the step, e.g. \"s" + (i + 1).ToString(CultureInfo.InvariantCulture) + "\"."));
            }

            // The graph names each id's first step; a later step with the id is a duplicate.
            if (graph.TryGetIndex(step.Id, out var first) && first != i && reportedDuplicates.Add(step.Id))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.DuplicateId,
                    step.Id,
                    $"{steps.Count(s => s.Id == step.Id)} steps have this id. Give each step its own id."));
            }
        }
    }

    private static void CheckDependencies(PlanGraph graph, List<PlanProblem> problems)
    {
        for (var i = 0; i < graph.Steps.Count; i++)
        {
            foreach (var dependency in graph.UnknownDependenciesOf(i))
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.UnknownDependency,
                    PlanProblemText.NullIfEmpty(graph.Steps[i].Id),
                    $"depends on '{dependency}', but no step has that id. Use one of the plan's ids ({PlanProblemText.ListNames(graph.Ids)}) or remove the dependency."));
            }
        }
    }

    /// <summary>Names one cycle in each group of steps that depend on each other in a circle; <see cref="PlanGraph"/> finds them.</summary>
    private static void CheckCycles(PlanGraph graph, List<PlanProblem> problems)
    {
        foreach (var cycle in graph.FindCycles())
        {
            var start = graph.Steps[cycle[0]].Id;
            if (cycle.Count == 2)
            {
                problems.Add(new PlanProblem(
                    PlanProblemCode.Cycle,
                    start,
                    $"depends on itself (cycle {graph.DescribeCycle(cycle)}). Remove '{start}' from its own dependencies."));
                continue;
            }

            var names = cycle.Select(i => graph.Steps[i].Id).ToList();
            var links = string.Join(", ", names.Zip(names.Skip(1), (a, b) => $"{a} depends on {b}"));
            problems.Add(new PlanProblem(
                PlanProblemCode.Cycle,
                start,
                $"is part of a dependency cycle {graph.DescribeCycle(cycle)} ({links}). Steps in a cycle can never start; remove one of these dependencies."));
        }
    }
}
