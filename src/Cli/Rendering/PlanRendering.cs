using System.Text;
using Plansmith.Agent.Plans;

namespace Plansmith.Cli.Rendering;

/// <summary>A plan as a tree of text lines, as Mermaid, or as contract JSON.</summary>
internal static class PlanRendering
{
    /// <summary>
    /// The plan as a tree: each step under the last of its dependencies (roots at the top level),
    /// with its kind, tool and other dependencies noted.
    /// </summary>
    public static string Tree(Plan plan)
    {
        var text = new StringBuilder();
        text.Append("Plan").Append(plan.Goal is null ? string.Empty : ": " + Headline(plan.Goal)).Append('\n');
        var children = plan.Steps.ToDictionary(s => s.Id, _ => new List<PlanStep>(), StringComparer.Ordinal);
        var roots = new List<PlanStep>();
        foreach (var step in plan.Steps)
        {
            var parent = step.Dependencies.LastOrDefault(children.ContainsKey);
            (parent is null ? roots : children[parent]).Add(step);
        }

        void Write(PlanStep step, string indent, bool last)
        {
            text.Append(indent).Append(last ? "└─ " : "├─ ").Append(Label(step)).Append('\n');
            var kids = children[step.Id];
            for (var i = 0; i < kids.Count; i++)
            {
                Write(kids[i], indent + (last ? "   " : "│  "), i == kids.Count - 1);
            }
        }

        for (var i = 0; i < roots.Count; i++)
        {
            Write(roots[i], string.Empty, i == roots.Count - 1);
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>One step in one line: id, description, kind, tool, agent, and dependencies beyond its parent.</summary>
    public static string Label(PlanStep step)
    {
        var notes = new List<string>();
        if (step.Kind != StepKind.Action)
        {
            notes.Add(PlanJson.KindName(step.Kind));
        }

        if (step.Tool is not null)
        {
            notes.Add("tool " + step.Tool);
        }

        if (step.Agent is not null)
        {
            notes.Add("agent " + step.Agent);
        }

        if (step.Dependencies.Count > 1)
        {
            notes.Add("after " + string.Join(", ", step.Dependencies));
        }

        return $"{step.Id}  {step.Description}" + (notes.Count == 0 ? string.Empty : $"  [{string.Join("; ", notes)}]");
    }

    public static string Mermaid(Plan plan)
    {
        var text = new StringBuilder("flowchart TD\n");
        foreach (var step in plan.Steps)
        {
            var label = step.Description.Replace("\"", "'", StringComparison.Ordinal);
            var shape = step.Kind switch
            {
                StepKind.Verify => $"{{\"{step.Id}: {label}\"}}",
                StepKind.Subgoal => $"[[\"{step.Id}: {label}\"]]",
                _ => $"[\"{step.Id}: {label}\"]",
            };
            text.Append("    ").Append(step.Id).Append(shape).Append('\n');
        }

        foreach (var step in plan.Steps)
        {
            foreach (var dependency in step.Dependencies)
            {
                text.Append("    ").Append(dependency).Append(" --> ").Append(step.Id).Append('\n');
            }
        }

        return text.ToString().TrimEnd();
    }

    /// <summary>A goal on one line, at most 200 characters: a goal read from a file can be pages long.</summary>
    public static string Headline(string goal)
    {
        var line = goal.ReplaceLineEndings(" ");
        return line.Length <= 200 ? line : line[..199] + "…";
    }
}
