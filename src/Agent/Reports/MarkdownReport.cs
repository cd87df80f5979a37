using System.Text;
using Plansmith.Agent.Runs.Store;
using static Plansmith.Agent.Reports.ReportText;

namespace Plansmith.Agent.Reports;

/// <summary>The report in Markdown: a Mermaid graph of the plan, a Mermaid Gantt timeline, each step's outcome and the answer.</summary>
internal static class MarkdownReport
{
    private const int OutputCap = 4_000;

    public static string Render(StoredRun run, RunHistory history)
    {
        var text = new StringBuilder();
        text.Append("# Run ").Append(run.Id).Append("\n\n");
        text.Append("**Goal:** ").Append(Inline(run.Info.Goal)).Append("  \n");
        text.Append("**Status:** ").Append(run.Status.ToText());
        if (run.Owner is { } owner)
        {
            text.Append(Invariant($" (live in process {owner.ProcessId} on host {Inline(owner.Host)}, last heartbeat {owner.LastHeartbeat:u})"));
        }

        text.Append("  \n");
        text.Append("**Model:** ").Append(Inline(run.Info.Provider)).Append("  \n");
        text.Append(Invariant($"**Started:** {run.StartedAt:u}  \n**Duration:** {Duration(run)}  \n"));
        text.Append("**Usage:** ").Append(Usage(run)).Append("\n\n");
        AppendGraph(text, history);
        AppendVersions(text, history);
        AppendTimeline(text, history);
        if (history.Replans.Count > 0)
        {
            text.Append("## Replans\n\n");
            foreach (var (failed, error) in history.Replans)
            {
                text.Append("- after **").Append(Inline(failed)).Append("** failed: ").Append(Inline(error)).Append('\n');
            }

            text.Append('\n');
        }

        if (history.Discarded.Count > 0)
        {
            text.Append("## Early results discarded\n\n");
            foreach (var (stepId, reason) in history.Discarded)
            {
                text.Append("- **").Append(Inline(stepId)).Append("** started before the plan was final; its result was not kept: ").Append(Inline(reason)).Append('\n');
            }

            text.Append('\n');
        }

        text.Append("## Steps\n\n");
        foreach (var step in history.Steps)
        {
            var notes = new List<string> { step.State.Status.ToText(), Version(step.Version) };
            if (step.KeptIn.Count > 0)
            {
                notes.Add("kept in " + string.Join(", ", step.KeptIn.Select(Version)));
            }

            if (step.Replaced)
            {
                notes.Add("replaced");
            }

            text.Append("### ").Append(Inline(step.Step.Id)).Append(" — ").Append(Inline(step.Step.Description)).Append(" (").Append(string.Join(", ", notes)).Append(StateNotes(step.State)).Append(")\n\n");
            AppendOutcome(text, step.State);
            foreach (var child in step.Children)
            {
                AppendChild(text, child, Inline(step.Step.Id));
            }
        }

        text.Append("## Answer\n\n").Append(run.Answer.Length > 0 ? run.Answer : "_No answer._").Append('\n');
        return text.ToString();
    }

    private static void AppendGraph(StringBuilder text, RunHistory history)
    {
        text.Append("## Plan\n\n");
        if (history.SpansVersions)
        {
            text.Append("Steps of every plan version that ran; `vN` is the version a step belongs to. Dashed steps were replaced by a later version.\n\n");
        }

        text.Append("```mermaid\nflowchart TD\n");
        foreach (var step in history.Steps)
        {
            text.Append("    ").Append(step.Key).Append("[\"").Append(MermaidLabel(step.Step.Id)).Append(" · v").Append(step.Version).Append(": ").Append(MermaidLabel(Clip(step.Step.Description, 60))).Append("\"]:::").Append(CssClass(step.State.Status)).Append('\n');
        }

        foreach (var step in history.Steps)
        {
            foreach (var dependency in step.DependsOn)
            {
                text.Append("    ").Append(dependency.Key).Append(" --> ").Append(step.Key).Append('\n');
            }
        }

        foreach (var step in history.Steps.Where(s => s.Replaced))
        {
            text.Append("    class ").Append(step.Key).Append(" replaced\n");
        }

        text.Append("    classDef completed fill:#d4f4dd;\n    classDef failed fill:#f8d0d0;\n    classDef skipped fill:#eeeeee;\n    classDef running fill:#fff3c4;\n    classDef pending fill:#ffffff;\n    classDef replaced stroke-dasharray:5 5,opacity:0.7;\n```\n\n");
    }

    private static void AppendVersions(StringBuilder text, RunHistory history)
    {
        text.Append("## Plan versions\n\n");
        if (history.Versions.Count == 0)
        {
            text.Append("_No plan._\n\n");
            return;
        }

        foreach (var version in history.Versions)
        {
            text.Append("- **v").Append(version.Number).Append("** — ").Append(Inline(version.Origin)).Append(version.Ran ? string.Empty : " (did not run)").Append(": ")
                .Append(string.Join(", ", version.Plan.Steps.Select(s => Inline(s.Id)))).Append('\n');
        }

        text.Append('\n');
    }

    private static void AppendTimeline(StringBuilder text, RunHistory history)
    {
        var timed = Timed(history);
        if (timed.Count == 0)
        {
            return;
        }

        text.Append("## Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %M:%S\n");
        foreach (var step in timed)
        {
            var tag = step.State.Status == Plans.StepStatus.Failed ? "crit, " : string.Empty;
            text.Append(Invariant($"    {MermaidLabel(TimelineLabel(history, step))} : {tag}{step.Key}, {step.State.StartedAt!.Value.ToUnixTimeMilliseconds()}, {Math.Max(1, (long)step.State.Duration!.Value.TotalMilliseconds)}ms\n"));
        }

        text.Append("```\n\n");
    }

    private static void AppendOutcome(StringBuilder text, StoredStep state)
    {
        if (state.Output is { } output)
        {
            AppendFenced(text, Clip(output, OutputCap));
        }
        else if (state.Error is { } error)
        {
            text.Append("> ").Append(Inline(error)).Append("\n\n");
        }
    }

    private static void AppendChild(StringBuilder text, ChildPlan child, string path)
    {
        text.Append("#### ").Append(path).Append(" › child plan (depth ").Append(child.Depth).Append("): ")
            .Append(string.Join(" ", child.Plan.Steps.Select(s => Inline(s.Id) + (s.Dependencies.Count > 0 ? " (after " + string.Join(", ", s.Dependencies.Select(Inline)) + ")" : string.Empty)))).Append("\n\n");
        foreach (var step in child.Plan.Steps)
        {
            var state = child.StateOf(step.Id);
            var stepPath = path + " › " + Inline(step.Id);
            text.Append("##### ").Append(stepPath).Append(" — ").Append(Inline(step.Description)).Append(" (").Append(state.Status.ToText()).Append(StateNotes(state)).Append(")\n\n");
            AppendOutcome(text, state);
            foreach (var grandchild in child.ChildrenOf(step.Id))
            {
                AppendChild(text, grandchild, stepPath);
            }
        }
    }

    private static string StateNotes(StoredStep state) =>
        (state.Unverified ? ", unverified" : string.Empty)
        + (state.Usage.ModelCalls > 0 ? Invariant($", {state.Usage.ModelCalls} model calls, {state.Usage.TotalTokens} tokens") : string.Empty);

    /// <summary>
    /// Untrusted text as a code block that it cannot close: the fence is longer than any run of
    /// backticks inside (CommonMark closes a fence only with one at least as long).
    /// </summary>
    private static void AppendFenced(StringBuilder text, string content)
    {
        int longest = 0, run = 0;
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        text.Append(fence).Append('\n').Append(content).Append('\n').Append(fence).Append("\n\n");
    }

    /// <summary>Untrusted text on one line of Markdown: no line breaks (no new headings or blocks) and no raw HTML.</summary>
    private static string Inline(string text) =>
        text.ReplaceLineEndings(" ").Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>A Mermaid label that cannot end the label or the diagram.</summary>
    private static string MermaidLabel(string text)
    {
        var label = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            label.Append(c switch
            {
                '"' or '`' => '\'',
                '<' or '>' or '[' or ']' or '{' or '}' or '|' or '#' or ';' or ':' or ',' => ' ',
                _ when char.IsControl(c) => ' ',
                _ => c,
            });
        }

        return label.ToString();
    }
}
