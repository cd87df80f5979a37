using System.Globalization;
using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// The checks of a step's <c>${...}</c> references: well formed, naming a step of the plan, and
/// naming one the step depends on (directly or not), so its output exists when the step runs.
/// Part of <see cref="PlanValidator"/>.
/// </summary>
internal static class PlanReferenceChecks
{
    /// <summary>Checks every <c>${...}</c> reference in the step at <paramref name="index"/>: its descriptions and string arguments, the fallback's included.</summary>
    public static void Check(PlanGraph graph, int index, List<PlanProblem> problems)
    {
        var step = graph.Steps[index];
        var stepId = PlanProblemText.NullIfEmpty(step.Id);
        var texts = new List<(string Where, string Text)> { ("description", step.Description) };
        CollectStrings("argument", step.Arguments, texts);
        if (step.Fallback is { } fallback)
        {
            texts.Add(("fallback description", fallback.Description));
            CollectStrings("fallback argument", fallback.Arguments, texts);
        }

        IReadOnlySet<int>? ancestors = null;
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
                if (!graph.TryGetIndex(reference.StepId, out var referenced))
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.UnknownReference,
                        stepId,
                        $"{where} refers to {reference.Text}, but no step has id '{reference.StepId}'. Refer only to steps of this plan ({PlanProblemText.ListNames(graph.Ids)})."));
                    continue;
                }

                CheckCollectPath(graph.Steps[referenced], reference, where, stepId, problems);

                // Most references name a direct dependency; only the rest need the transitive walk.
                if (step.Dependencies.Contains(reference.StepId, StringComparer.Ordinal))
                {
                    continue;
                }

                ancestors ??= graph.AncestorsOf(index);
                if (!ancestors.Contains(referenced))
                {
                    problems.Add(new PlanProblem(
                        PlanProblemCode.ReferenceNotDependency,
                        stepId,
                        $"{where} refers to {reference.Text}, but '{reference.StepId}' is not among this step's dependencies, so its output may not exist yet. Add \"{reference.StepId}\" to this step's dependencies."));
                }
            }
        }
    }

    /// <summary>A collect step's output is always a JSON array, so a field name after its id can never resolve.</summary>
    private static void CheckCollectPath(PlanStep referenced, StepReference reference, string where, string? stepId, List<PlanProblem> problems)
    {
        if (referenced.Kind != StepKind.Collect || reference.Path.Count == 0 || reference.Path[0].IsIndex)
        {
            return;
        }

        var id = referenced.Id;
        var field = reference.Path[0].Property!;
        var item = int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : 1;
        problems.Add(new PlanProblem(
            PlanProblemCode.InvalidReference,
            stepId,
            $"{where} refers to {reference.Text}, but '{id}' is a map step: its output is a JSON array of its items' outputs, with no field '{field}'. "
            + $"Refer to item {item} as ${{{MapSteps.ItemId(id, item)}}} or ${{{id}[{item - 1}]}}, or to all of them as ${{{id}}}."));
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
}
