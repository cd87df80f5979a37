using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>
/// A stored run as a report: the steps of every plan version that ran as one graph (steps a replan
/// replaced are kept, dashed, with their version and status), the plan versions, a timeline
/// showing which steps ran in parallel, each step's output with the child plans of subgoal steps
/// nested under them, replans, token usage and the answer. Markdown (Mermaid), a self-contained
/// HTML page (inline SVG, the answer rendered from Markdown with raw HTML and unsafe links
/// disabled, no network) or JSON; all three carry the same information, read from the run's state
/// as <see cref="RunProjection"/> folds it.
/// </summary>
public static class RunReport
{
    /// <summary>Markdown with a Mermaid graph and a Mermaid Gantt timeline.</summary>
    public static string Markdown(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return MarkdownReport.Render(run, RunHistory.Of(run));
    }

    /// <summary>A self-contained HTML page with the plan graph and the timeline as inline SVG and the answer rendered from Markdown.</summary>
    public static string Html(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return HtmlReport.Render(run, RunHistory.Of(run));
    }

    /// <summary>The stored run as JSON: every plan version, the steps of each version with child plans nested, and the events.</summary>
    public static string Json(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return JsonReport.Render(run, RunHistory.Of(run));
    }
}
