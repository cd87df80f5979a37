using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;
using static Plansmith.Agent.Reports.ReportText;

namespace Plansmith.Agent.Reports;

/// <summary>
/// The report as one self-contained HTML page: the plan graph and the timeline as inline SVG, the
/// answer rendered from Markdown as inert HTML, and a content security policy that loads nothing
/// from the network and runs no script but the page's own.
/// </summary>
internal static class HtmlReport
{
    private const int OutputCap = 8_000;

    // Marks what the browser actually laid out, so that a headless check can tell a rendered page from markup.
    private const string LayoutScript =
        "addEventListener('load',()=>{const g=document.getElementById('plan-graph'),t=document.getElementById('timeline');"
        + "document.body.dataset.graphRendered=[...g.querySelectorAll('g.node rect')].filter(r=>r.getBBox().width>0).length;"
        + "document.body.dataset.edgesRendered=[...g.querySelectorAll('line.edge')].filter(l=>l.getTotalLength()>0).length;"
        + "document.body.dataset.timelineRendered=[...t.querySelectorAll('rect.bar')].filter(r=>r.getBBox().width>0).length;});";

    // Nothing from the network, and no script but the page's own, whatever the content holds.
    private static readonly string ContentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; script-src 'sha256-"
        + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(LayoutScript))) + "'";

    public static string Render(StoredRun run, RunHistory history)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" content=\"").Append(ContentSecurityPolicy).Append("\">");
        html.Append("<title>Plansmith run ").Append(E(run.Id)).Append("</title><style>");
        html.Append("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}");
        html.Append("svg{border:1px solid #ddd;background:#fcfcfc;max-width:100%}.node rect{stroke:#555;rx:6}.completed rect,.bar.completed{fill:#cdeed6}.failed rect,.bar.failed{fill:#f5c6c6}.skipped rect,.bar.skipped{fill:#e6e6e6}.running rect,.bar.running{fill:#fff0b3}.pending rect{fill:#fff}");
        html.Append(".node.replaced rect{stroke-dasharray:6 4;opacity:.75}.node.replaced text{fill:#666}.version{fill:#555}tr.replaced td{color:#666;background:#fafafa}.tag{font-size:.8em;padding:0 .3em;border-radius:3px;background:#eee;margin-left:.3em}");
        html.Append("pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem;border-radius:4px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}");
        html.Append(".answer{border:1px solid #ddd;border-radius:4px;padding:.2rem 1rem;background:#fff}.answer pre{background:#f3f3f3}.answer code{background:#f3f3f3;padding:0 .2em}");
        html.Append(".child-plan{margin:.4rem 0 .4rem 1.2rem;padding-left:.8rem;border-left:3px solid #9ab}.child-plan h4{margin:.3rem 0}</style></head><body>");
        html.Append("<h1>Plansmith run ").Append(E(run.Id)).Append("</h1><dl>");
        void Row(string name, string value) => html.Append("<dt>").Append(name).Append("</dt><dd>").Append(E(value)).Append("</dd>");
        Row("Goal", run.Info.Goal);
        Row("Status", run.Status.ToText());
        Row("Model", run.Info.Provider);
        Row("Started", run.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("Duration", Duration(run));
        Row("Usage", Usage(run));
        html.Append("</dl><h2>Answer</h2><div class=\"answer\">").Append(run.Answer.Length > 0 ? InertMarkdown.ToHtml(run.Answer) : "<p><em>No answer.</em></p>").Append("</div>");
        html.Append("<h2>Plan</h2>");
        if (history.SpansVersions)
        {
            html.Append("<p>Steps of every plan version that ran; <b>vN</b> is the version a step belongs to. Dashed steps were replaced by a later version.</p>");
        }

        html.Append(SvgGraphics.Graph("plan-graph", history.Steps.Select(s => new SvgGraphics.Node(s.Key, s.Step.Id, s.Step.Description, s.State.Status, Version(s.Version), s.Replaced, [.. s.DependsOn.Select(d => d.Key)]))));
        html.Append("<h2>Plan versions</h2><ol class=\"versions\">");
        foreach (var version in history.Versions)
        {
            html.Append("<li><b>v").Append(version.Number).Append("</b> — ").Append(E(version.Origin)).Append(version.Ran ? string.Empty : " (did not run)").Append(": ")
                .Append(E(string.Join(", ", version.Plan.Steps.Select(s => s.Id)))).Append("</li>");
        }

        html.Append("</ol>");
        html.Append("<h2>Timeline</h2>").Append(SvgGraphics.Timeline(history));
        if (history.Replans.Count > 0)
        {
            html.Append("<h2>Replans</h2><ul>");
            foreach (var (failed, error) in history.Replans)
            {
                html.Append("<li>after <b>").Append(E(failed)).Append("</b> failed: ").Append(E(error)).Append("</li>");
            }

            html.Append("</ul>");
        }

        html.Append("<h2>Steps</h2><table class=\"steps\"><tr><th>Step</th><th>Version</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Tokens</th><th>Output or error</th></tr>");
        foreach (var step in history.Steps)
        {
            var version = Version(step.Version) + (step.KeptIn.Count > 0 ? ", kept in " + string.Join(", ", step.KeptIn.Select(Version)) : string.Empty);
            AppendRow(html, step.Step, step.State, version, step.Replaced, step.Children, columns: 7);
        }

        html.Append("</table>");
        html.Append("<script>").Append(LayoutScript).Append("</script>");
        html.Append("</body></html>");
        return html.ToString();
    }

    private static void AppendRow(StringBuilder html, PlanStep step, StoredStep state, string? version, bool replaced, IReadOnlyList<ChildPlan> children, int columns)
    {
        var duration = state.Duration is { } d ? Invariant($"{d.TotalSeconds:0.00} s") : string.Empty;
        html.Append(replaced ? "<tr class=\"replaced\">" : "<tr>").Append("<td><b>").Append(E(step.Id)).Append("</b> ").Append(E(step.Description)).Append("</td>");
        if (version is not null)
        {
            html.Append("<td>").Append(E(version)).Append(replaced ? "<span class=\"tag\">replaced</span>" : string.Empty).Append("</td>");
        }

        html.Append("<td>").Append(E(state.Status.ToText())).Append(state.Unverified ? " (unverified)" : string.Empty)
            .Append("</td><td>").Append(state.Attempts).Append("</td><td>").Append(duration).Append("</td><td>").Append(state.Usage.TotalTokens).Append("</td><td>");
        var content = state.Output ?? state.Error;
        if (content is not null)
        {
            html.Append("<details><summary>").Append(state.Output is null ? "error" : "output").Append("</summary><pre>").Append(E(Clip(content, OutputCap))).Append("</pre></details>");
        }

        html.Append("</td></tr>");
        if (children.Count == 0)
        {
            return;
        }

        html.Append("<tr class=\"children\"><td colspan=\"").Append(columns).Append("\">");
        foreach (var child in children)
        {
            html.Append("<section class=\"child-plan\"><h4>Child plan of ").Append(E(child.ParentStepId)).Append(" (depth ").Append(child.Depth).Append(")</h4>");
            html.Append(SvgGraphics.Graph(null, child.Plan.Steps.Select(s => new SvgGraphics.Node(s.Id, s.Id, s.Description, child.StateOf(s.Id).Status, null, false, s.Dependencies))));
            html.Append("<table><tr><th>Step</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Tokens</th><th>Output or error</th></tr>");
            foreach (var childStep in child.Plan.Steps)
            {
                AppendRow(html, childStep, child.StateOf(childStep.Id), null, false, child.ChildrenOf(childStep.Id), columns: 6);
            }

            html.Append("</table></section>");
        }

        html.Append("</td></tr>");
    }
}
