using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Runs.Reports;

/// <summary>
/// A stored run as a report: the plan as a graph, a timeline showing which steps ran in parallel,
/// each step's output, replans, token usage and the answer. Markdown (Mermaid), a self-contained
/// HTML page (inline SVG, no network) or JSON.
/// </summary>
public static class RunReport
{
    private const int NodeWidth = 200;
    private const int NodeHeight = 48;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Markdown with a Mermaid graph and a Mermaid Gantt timeline.</summary>
    public static string Markdown(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plan = run.PlanVersions.Count > 0 ? run.PlanVersions[^1] : new Plan([]);
        var text = new StringBuilder();
        text.Append("# Run ").Append(run.Id).Append("\n\n");
        text.Append("**Goal:** ").Append(Inline(run.Info.Goal)).Append("  \n");
        text.Append("**Status:** ").Append(run.Status);
        if (run.Owner is { } owner)
        {
            text.Append(Invariant($" (live in process {owner.ProcessId} on host {owner.Host}, last heartbeat {owner.LastHeartbeat:u})"));
        }

        text.Append("  \n");
        text.Append("**Model:** ").Append(run.Info.Provider).Append("  \n");
        text.Append(Invariant($"**Started:** {run.StartedAt:u}  \n**Duration:** {Duration(run)}  \n"));
        text.Append(Invariant($"**Usage:** {run.Usage.ModelCalls} model calls, {run.Usage.InputTokens} input and {run.Usage.OutputTokens} output tokens\n\n"));
        text.Append("## Plan\n\n```mermaid\nflowchart TD\n");
        foreach (var step in plan.Steps)
        {
            text.Append("    ").Append(step.Id).Append("[\"").Append(step.Id).Append(": ").Append(MermaidLabel(Clip(step.Description, 60))).Append("\"]:::").Append(StatusOf(run, step.Id)).Append('\n');
        }

        foreach (var step in plan.Steps)
        {
            foreach (var dependency in step.Dependencies)
            {
                text.Append("    ").Append(dependency).Append(" --> ").Append(step.Id).Append('\n');
            }
        }

        text.Append("    classDef completed fill:#d4f4dd;\n    classDef failed fill:#f8d0d0;\n    classDef skipped fill:#eeeeee;\n    classDef running fill:#fff3c4;\n    classDef pending fill:#ffffff;\n```\n\n");
        var timed = run.Steps.Where(s => s.StartedAt is not null && s.EndedAt is not null).OrderBy(s => s.StartedAt).ToList();
        if (timed.Count > 0)
        {
            text.Append("## Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %M:%S\n");
            foreach (var step in timed)
            {
                var tag = step.Status == "failed" ? "crit, " : string.Empty;
                text.Append(Invariant($"    {step.StepId} : {tag}{step.StepId}, {step.StartedAt!.Value.ToUnixTimeMilliseconds()}, {Math.Max(1, (long)(step.EndedAt!.Value - step.StartedAt.Value).TotalMilliseconds)}ms\n"));
            }

            text.Append("```\n\n");
        }

        var replans = Replans(run);
        if (replans.Count > 0)
        {
            text.Append("## Replans\n\n");
            foreach (var (failed, error) in replans)
            {
                text.Append("- after **").Append(failed).Append("** failed: ").Append(Inline(error)).Append('\n');
            }

            text.Append('\n');
        }

        text.Append("## Steps\n\n");
        foreach (var step in plan.Steps)
        {
            var stored = run.Steps.FirstOrDefault(s => s.StepId == step.Id);
            text.Append("### ").Append(step.Id).Append(" — ").Append(Inline(step.Description)).Append(" (").Append(stored?.Status ?? "pending").Append(stored?.Unverified == true ? ", unverified" : string.Empty)
                .Append(stored is { Usage.ModelCalls: > 0 } ? Invariant($", {stored.Usage.ModelCalls} model calls, {stored.Usage.TotalTokens} tokens") : string.Empty).Append(")\n\n");
            if (stored?.Output is { } output)
            {
                AppendFenced(text, Clip(output, 4_000));
            }
            else if (stored?.Error is { } error)
            {
                text.Append("> ").Append(Inline(error)).Append("\n\n");
            }
        }

        text.Append("## Answer\n\n").Append(run.Answer.Length > 0 ? run.Answer : "_No answer._").Append('\n');
        return text.ToString();
    }

    /// <summary>A self-contained HTML page with the plan graph and the timeline as inline SVG.</summary>
    public static string Html(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var plan = run.PlanVersions.Count > 0 ? run.PlanVersions[^1] : new Plan([]);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Plansmith run ").Append(E(run.Id)).Append("</title><style>");
        html.Append("body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}");
        html.Append("svg{border:1px solid #ddd;background:#fcfcfc;max-width:100%}.node rect{stroke:#555;rx:6}.completed rect,.bar.completed{fill:#cdeed6}.failed rect,.bar.failed{fill:#f5c6c6}.skipped rect,.bar.skipped{fill:#e6e6e6}.running rect,.bar.running{fill:#fff0b3}.pending rect{fill:#fff}");
        html.Append("pre{white-space:pre-wrap;background:#f6f6f6;padding:.6rem;border-radius:4px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.3rem .5rem;vertical-align:top}</style></head><body>");
        html.Append("<h1>Plansmith run ").Append(E(run.Id)).Append("</h1><dl>");
        void Row(string name, string value) => html.Append("<dt>").Append(name).Append("</dt><dd>").Append(E(value)).Append("</dd>");
        Row("Goal", run.Info.Goal);
        Row("Status", run.Status);
        Row("Model", run.Info.Provider);
        Row("Started", run.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("Duration", Duration(run));
        Row("Usage", Invariant($"{run.Usage.ModelCalls} model calls, {run.Usage.InputTokens} input and {run.Usage.OutputTokens} output tokens"));
        html.Append("</dl><h2>Answer</h2><pre class=\"answer\">").Append(E(run.Answer.Length > 0 ? run.Answer : "No answer.")).Append("</pre>");
        html.Append("<h2>Plan</h2>").Append(GraphSvg(run, plan));
        html.Append("<h2>Timeline</h2>").Append(TimelineSvg(run));
        var replans = Replans(run);
        if (replans.Count > 0)
        {
            html.Append("<h2>Replans</h2><ul>");
            foreach (var (failed, error) in replans)
            {
                html.Append("<li>after <b>").Append(E(failed)).Append("</b> failed: ").Append(E(error)).Append("</li>");
            }

            html.Append("</ul>");
        }

        html.Append("<h2>Steps</h2><table><tr><th>Step</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Tokens</th><th>Output or error</th></tr>");
        foreach (var step in plan.Steps)
        {
            var stored = run.Steps.FirstOrDefault(s => s.StepId == step.Id);
            var duration = stored?.StartedAt is { } a && stored.EndedAt is { } b ? Invariant($"{(b - a).TotalSeconds:0.00} s") : string.Empty;
            html.Append("<tr><td><b>").Append(E(step.Id)).Append("</b> ").Append(E(step.Description)).Append("</td><td>").Append(E(stored?.Status ?? "pending")).Append(stored?.Unverified == true ? " (unverified)" : string.Empty)
                .Append("</td><td>").Append(stored?.Attempts ?? 0).Append("</td><td>").Append(duration).Append("</td><td>").Append(stored?.Usage.TotalTokens ?? 0).Append("</td><td><details><summary>show</summary><pre>")
                .Append(E(Clip(stored?.Output ?? stored?.Error ?? string.Empty, 8_000))).Append("</pre></details></td></tr>");
        }

        html.Append("</table>");

        // Marks what the browser actually laid out, so that a headless check can tell a rendered page from markup.
        html.Append("<script>addEventListener('load',()=>{const g=document.getElementById('plan-graph'),t=document.getElementById('timeline');")
            .Append("document.body.dataset.graphRendered=[...g.querySelectorAll('g.node rect')].filter(r=>r.getBBox().width>0).length;")
            .Append("document.body.dataset.edgesRendered=[...g.querySelectorAll('line.edge')].filter(l=>l.getTotalLength()>0).length;")
            .Append("document.body.dataset.timelineRendered=[...t.querySelectorAll('rect.bar')].filter(r=>r.getBBox().width>0).length;});</script>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>The stored run as JSON.</summary>
    public static string Json(StoredRun run) =>
        JsonSerializer.Serialize(
            new
            {
                run.Id, run.Info.Goal, run.Status, run.Info.Provider, run.StartedAt, run.EndedAt, run.Answer, run.Error,
                usage = new { run.Usage.ModelCalls, run.Usage.InputTokens, run.Usage.OutputTokens },
                plans = run.PlanVersions.Select(p => JsonDocument.Parse(PlanJson.Serialize(p, indented: false)).RootElement),
                run.Steps,
                events = run.Events.Select(e => new { e.Sequence, e.Type, e.At, data = JsonDocument.Parse(e.Json).RootElement }),
            },
            JsonOptions);

    private static string GraphSvg(StoredRun run, Plan plan)
    {
        var level = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            level[step.Id] = step.Dependencies.Where(level.ContainsKey).Select(d => level[d] + 1).DefaultIfEmpty(0).Max();
        }

        var rows = new Dictionary<int, int>();
        var position = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            var column = level[step.Id];
            var row = rows.TryGetValue(column, out var used) ? used : 0;
            rows[column] = row + 1;
            position[step.Id] = (20 + (column * (NodeWidth + 60)), 20 + (row * (NodeHeight + 24)));
        }

        var width = position.Count == 0 ? 200 : position.Values.Max(p => p.X) + NodeWidth + 20;
        var height = position.Count == 0 ? 60 : position.Values.Max(p => p.Y) + NodeHeight + 20;
        var svg = new StringBuilder(Invariant($"<svg id=\"plan-graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"plan graph\">"));
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>");
        foreach (var step in plan.Steps)
        {
            foreach (var dependency in step.Dependencies.Where(position.ContainsKey))
            {
                var (x1, y1) = position[dependency];
                var (x2, y2) = position[step.Id];
                svg.Append(Invariant($"<line class=\"edge\" x1=\"{x1 + NodeWidth}\" y1=\"{y1 + (NodeHeight / 2)}\" x2=\"{x2}\" y2=\"{y2 + (NodeHeight / 2)}\" stroke=\"#777\" marker-end=\"url(#arrow)\"/>"));
            }
        }

        foreach (var step in plan.Steps)
        {
            var (x, y) = position[step.Id];
            svg.Append(Invariant($"<g class=\"node {StatusOf(run, step.Id)}\"><title>{E(step.Description)}</title><rect x=\"{x}\" y=\"{y}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\"/>"));
            svg.Append(Invariant($"<text x=\"{x + 8}\" y=\"{y + 19}\" font-size=\"13\" font-weight=\"bold\">{E(step.Id)} · {E(StatusOf(run, step.Id))}</text><text x=\"{x + 8}\" y=\"{y + 37}\" font-size=\"11\">{E(Clip(step.Description, 30))}</text></g>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static string TimelineSvg(StoredRun run)
    {
        var timed = run.Steps.Where(s => s.StartedAt is not null && s.EndedAt is not null).OrderBy(s => s.StartedAt).ThenBy(s => s.StepId, StringComparer.Ordinal).ToList();
        const int Left = 90, Width = 800, Row = 22;
        var height = 30 + (Math.Max(1, timed.Count) * Row);
        var svg = new StringBuilder(Invariant($"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + Width + 20}\" height=\"{height}\" role=\"img\" aria-label=\"timeline\">"));
        if (timed.Count == 0)
        {
            return svg.Append("<text x=\"10\" y=\"20\">No step ran.</text></svg>").ToString();
        }

        var start = timed.Min(s => s.StartedAt!.Value);
        var span = Math.Max(1, (timed.Max(s => s.EndedAt!.Value) - start).TotalMilliseconds);
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"14\" font-size=\"11\">0 s</text><text x=\"{Left + Width - 40}\" y=\"14\" font-size=\"11\">{span / 1000:0.00} s</text>"));
        for (var i = 0; i < timed.Count; i++)
        {
            var step = timed[i];
            var x = Left + ((step.StartedAt!.Value - start).TotalMilliseconds / span * Width);
            var w = Math.Max(2, (step.EndedAt!.Value - step.StartedAt.Value).TotalMilliseconds / span * Width);
            var y = 22 + (i * Row);
            svg.Append(Invariant($"<text x=\"4\" y=\"{y + 13}\" font-size=\"12\">{E(step.StepId)}</text><rect class=\"bar {E(step.Status)}\" x=\"{x:0.0}\" y=\"{y}\" width=\"{w:0.0}\" height=\"{Row - 6}\" stroke=\"#555\"><title>{E(step.StepId)}: {(step.EndedAt.Value - step.StartedAt.Value).TotalMilliseconds:0} ms</title></rect>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static List<(string Failed, string Error)> Replans(StoredRun run) =>
        [.. run.Events.Where(e => e.Type == nameof(Replanned)).Select(e =>
        {
            using var json = JsonDocument.Parse(e.Json);
            return (json.RootElement.GetProperty("failedStepId").GetString() ?? "?", json.RootElement.GetProperty("error").GetString() ?? string.Empty);
        })];

    private static string StatusOf(StoredRun run, string stepId) => run.Steps.FirstOrDefault(s => s.StepId == stepId)?.Status ?? "pending";

    private static string Duration(StoredRun run) =>
        run.EndedAt is { } end ? Invariant($"{(end - run.StartedAt).TotalSeconds:0.0} s") : "not finished";

    private static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    private static string E(string text) => WebUtility.HtmlEncode(text);

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

    /// <summary>A Mermaid node label that cannot end the label or the diagram.</summary>
    private static string MermaidLabel(string text)
    {
        var label = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            label.Append(c switch
            {
                '"' or '`' => '\'',
                '<' or '>' or '[' or ']' or '{' or '}' or '|' or '#' or ';' => ' ',
                _ when char.IsControl(c) => ' ',
                _ => c,
            });
        }

        return label.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
