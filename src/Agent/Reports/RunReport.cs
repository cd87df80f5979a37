using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>
/// A stored run as a report: the steps of every plan version that ran as one graph (steps a replan
/// replaced are kept, dashed, with their version and status), the plan versions, a timeline
/// showing which steps ran in parallel, each step's output with the child plans of subgoal steps
/// nested under them, replans, token usage and the answer. Markdown (Mermaid), a self-contained
/// HTML page (inline SVG, the answer rendered from Markdown with raw HTML and unsafe links
/// disabled, no network) or JSON; all three carry the same information.
/// </summary>
public static class RunReport
{
    private const int NodeWidth = 200;
    private const int NodeHeight = 48;
    private const int MarkdownOutputCap = 4_000;
    private const int HtmlOutputCap = 8_000;
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

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

    /// <summary>Markdown with a Mermaid graph and a Mermaid Gantt timeline.</summary>
    public static string Markdown(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = RunHistory.Of(run);
        var text = new StringBuilder();
        text.Append("# Run ").Append(run.Id).Append("\n\n");
        text.Append("**Goal:** ").Append(Inline(run.Info.Goal)).Append("  \n");
        text.Append("**Status:** ").Append(run.Status);
        if (run.Owner is { } owner)
        {
            text.Append(Invariant($" (live in process {owner.ProcessId} on host {Inline(owner.Host)}, last heartbeat {owner.LastHeartbeat:u})"));
        }

        text.Append("  \n");
        text.Append("**Model:** ").Append(Inline(run.Info.Provider)).Append("  \n");
        text.Append(Invariant($"**Started:** {run.StartedAt:u}  \n**Duration:** {Duration(run)}  \n"));
        text.Append(Invariant($"**Usage:** {run.Usage.ModelCalls} model calls, {run.Usage.InputTokens} input and {run.Usage.OutputTokens} output tokens\n\n"));
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

        text.Append("## Plan versions\n\n");
        if (history.Versions.Count == 0)
        {
            text.Append("_No plan._\n\n");
        }
        else
        {
            foreach (var version in history.Versions)
            {
                text.Append("- **v").Append(version.Number).Append("** — ").Append(Inline(version.Origin)).Append(version.Ran ? string.Empty : " (did not run)").Append(": ")
                    .Append(string.Join(", ", version.Plan.Steps.Select(s => Inline(s.Id)))).Append('\n');
            }

            text.Append('\n');
        }

        var timed = Timed(history);
        if (timed.Count > 0)
        {
            text.Append("## Timeline\n\n```mermaid\ngantt\n    dateFormat x\n    axisFormat %M:%S\n");
            foreach (var step in timed)
            {
                var tag = step.State.Status == "failed" ? "crit, " : string.Empty;
                text.Append(Invariant($"    {MermaidLabel(TimelineLabel(history, step))} : {tag}{step.Key}, {step.State.StartedAt!.Value.ToUnixTimeMilliseconds()}, {Math.Max(1, (long)step.State.Duration!.Value.TotalMilliseconds)}ms\n"));
            }

            text.Append("```\n\n");
        }

        if (history.Replans.Count > 0)
        {
            text.Append("## Replans\n\n");
            foreach (var (failed, error) in history.Replans)
            {
                text.Append("- after **").Append(Inline(failed)).Append("** failed: ").Append(Inline(error)).Append('\n');
            }

            text.Append('\n');
        }

        text.Append("## Steps\n\n");
        foreach (var step in history.Steps)
        {
            var notes = new List<string> { step.State.Status, "v" + step.Version.ToString(CultureInfo.InvariantCulture) };
            if (step.KeptIn.Count > 0)
            {
                notes.Add("kept in " + string.Join(", ", step.KeptIn.Select(v => "v" + v.ToString(CultureInfo.InvariantCulture))));
            }

            if (step.Replaced)
            {
                notes.Add("replaced");
            }

            text.Append("### ").Append(Inline(step.Step.Id)).Append(" — ").Append(Inline(step.Step.Description)).Append(" (").Append(string.Join(", ", notes)).Append(StateNotes(step.State)).Append(")\n\n");
            AppendOutcome(text, step.State);
            foreach (var child in step.Children)
            {
                AppendChildMarkdown(text, child, Inline(step.Step.Id));
            }
        }

        text.Append("## Answer\n\n").Append(run.Answer.Length > 0 ? run.Answer : "_No answer._").Append('\n');
        return text.ToString();
    }

    /// <summary>A self-contained HTML page with the plan graph and the timeline as inline SVG and the answer rendered from Markdown.</summary>
    public static string Html(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = RunHistory.Of(run);
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
        Row("Status", run.Status);
        Row("Model", run.Info.Provider);
        Row("Started", run.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("Duration", Duration(run));
        Row("Usage", Invariant($"{run.Usage.ModelCalls} model calls, {run.Usage.InputTokens} input and {run.Usage.OutputTokens} output tokens"));
        html.Append("</dl><h2>Answer</h2><div class=\"answer\">").Append(run.Answer.Length > 0 ? InertMarkdown.ToHtml(run.Answer) : "<p><em>No answer.</em></p>").Append("</div>");
        html.Append("<h2>Plan</h2>");
        if (history.SpansVersions)
        {
            html.Append("<p>Steps of every plan version that ran; <b>vN</b> is the version a step belongs to. Dashed steps were replaced by a later version.</p>");
        }

        html.Append(GraphSvg("plan-graph", history.Steps.Select(s => new GraphNode(s.Key, s.Step.Id, s.Step.Description, s.State.Status, "v" + s.Version.ToString(CultureInfo.InvariantCulture), s.Replaced, [.. s.DependsOn.Select(d => d.Key)]))));
        html.Append("<h2>Plan versions</h2><ol class=\"versions\">");
        foreach (var version in history.Versions)
        {
            html.Append("<li><b>v").Append(version.Number).Append("</b> — ").Append(E(version.Origin)).Append(version.Ran ? string.Empty : " (did not run)").Append(": ")
                .Append(E(string.Join(", ", version.Plan.Steps.Select(s => s.Id)))).Append("</li>");
        }

        html.Append("</ol>");
        html.Append("<h2>Timeline</h2>").Append(TimelineSvg(history));
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
            var version = "v" + step.Version.ToString(CultureInfo.InvariantCulture) + (step.KeptIn.Count > 0 ? ", kept in " + string.Join(", ", step.KeptIn.Select(v => "v" + v.ToString(CultureInfo.InvariantCulture))) : string.Empty);
            AppendHtmlRow(html, step.Step, step.State, version, step.Replaced, step.Children, columns: 7);
        }

        html.Append("</table>");
        html.Append("<script>").Append(LayoutScript).Append("</script>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>The stored run as JSON: every plan version, the steps of each version with child plans nested, and the events.</summary>
    public static string Json(StoredRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = RunHistory.Of(run);
        return JsonSerializer.Serialize(
            new
            {
                run.Id, run.Info.Goal, run.Status, run.Info.Provider, run.StartedAt, run.EndedAt, run.Answer, run.Error,
                usage = new { run.Usage.ModelCalls, run.Usage.InputTokens, run.Usage.OutputTokens },
                versions = history.Versions.Select(v => new { version = v.Number, v.Origin, v.Ran, plan = PlanElement(v.Plan) }),
                steps = history.Steps.Select(s => StepJson(s.Step, s.State, s, s.Children)),
                replans = history.Replans.Select(r => new { r.FailedStepId, r.Error }),
                events = run.Events.Select(e => new { e.Sequence, e.Type, e.At, data = JsonDocument.Parse(e.Json).RootElement }),
            },
            JsonOptions);
    }

    private static Dictionary<string, object?> StepJson(PlanStep step, StepState state, ReportStep? node, IReadOnlyList<ChildPlan> children)
    {
        var json = new Dictionary<string, object?>
        {
            ["id"] = step.Id,
            ["description"] = step.Description,
            ["kind"] = PlanJson.KindName(step.Kind),
            ["tool"] = step.Tool,
            ["dependencies"] = step.Dependencies,
        };
        if (node is not null)
        {
            json["version"] = node.Version;
            json["keptIn"] = node.KeptIn;
            json["replaced"] = node.Replaced;
        }

        json["status"] = state.Status;
        json["attempts"] = state.Attempts;
        json["startedAt"] = state.StartedAt;
        json["endedAt"] = state.EndedAt;
        json["usage"] = new { state.Usage.ModelCalls, state.Usage.InputTokens, state.Usage.OutputTokens };
        json["unverified"] = state.Unverified;
        json["output"] = state.Output;
        json["error"] = state.Error;
        json["childPlans"] = children.Select(ChildJson).ToList();
        return json;
    }

    private static object ChildJson(ChildPlan child) => new
    {
        child.ParentStepId,
        child.Depth,
        plan = PlanElement(child.Plan),
        steps = child.Plan.Steps.Select(s => StepJson(s, child.StateOf(s.Id), null, child.ChildrenOf(s.Id))).ToList(),
    };

    private static JsonElement PlanElement(Plan plan)
    {
        using var document = JsonDocument.Parse(PlanJson.Serialize(plan, indented: false));
        return document.RootElement.Clone();
    }

    private static void AppendOutcome(StringBuilder text, StepState state)
    {
        if (state.Output is { } output)
        {
            AppendFenced(text, Clip(output, MarkdownOutputCap));
        }
        else if (state.Error is { } error)
        {
            text.Append("> ").Append(Inline(error)).Append("\n\n");
        }
    }

    private static void AppendChildMarkdown(StringBuilder text, ChildPlan child, string path)
    {
        text.Append("#### ").Append(path).Append(" › child plan (depth ").Append(child.Depth).Append("): ")
            .Append(string.Join(" ", child.Plan.Steps.Select(s => Inline(s.Id) + (s.Dependencies.Count > 0 ? " (after " + string.Join(", ", s.Dependencies.Select(Inline)) + ")" : string.Empty)))).Append("\n\n");
        foreach (var step in child.Plan.Steps)
        {
            var state = child.StateOf(step.Id);
            var stepPath = path + " › " + Inline(step.Id);
            text.Append("##### ").Append(stepPath).Append(" — ").Append(Inline(step.Description)).Append(" (").Append(state.Status).Append(StateNotes(state)).Append(")\n\n");
            AppendOutcome(text, state);
            foreach (var grandchild in child.ChildrenOf(step.Id))
            {
                AppendChildMarkdown(text, grandchild, stepPath);
            }
        }
    }

    private static string StateNotes(StepState state) =>
        (state.Unverified ? ", unverified" : string.Empty)
        + (state.Usage.ModelCalls > 0 ? Invariant($", {state.Usage.ModelCalls} model calls, {state.Usage.TotalTokens} tokens") : string.Empty);

    private static void AppendHtmlRow(StringBuilder html, PlanStep step, StepState state, string? version, bool replaced, IReadOnlyList<ChildPlan> children, int columns)
    {
        var duration = state.Duration is { } d ? Invariant($"{d.TotalSeconds:0.00} s") : string.Empty;
        html.Append(replaced ? "<tr class=\"replaced\">" : "<tr>").Append("<td><b>").Append(E(step.Id)).Append("</b> ").Append(E(step.Description)).Append("</td>");
        if (version is not null)
        {
            html.Append("<td>").Append(E(version)).Append(replaced ? "<span class=\"tag\">replaced</span>" : string.Empty).Append("</td>");
        }

        html.Append("<td>").Append(E(state.Status)).Append(state.Unverified ? " (unverified)" : string.Empty)
            .Append("</td><td>").Append(state.Attempts).Append("</td><td>").Append(duration).Append("</td><td>").Append(state.Usage.TotalTokens).Append("</td><td>");
        var content = state.Output ?? state.Error;
        if (content is not null)
        {
            html.Append("<details><summary>").Append(state.Output is null ? "error" : "output").Append("</summary><pre>").Append(E(Clip(content, HtmlOutputCap))).Append("</pre></details>");
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
            html.Append(GraphSvg(null, child.Plan.Steps.Select(s => new GraphNode(s.Id, s.Id, s.Description, child.StateOf(s.Id).Status, null, false, s.Dependencies))));
            html.Append("<table><tr><th>Step</th><th>Status</th><th>Attempts</th><th>Duration</th><th>Tokens</th><th>Output or error</th></tr>");
            foreach (var step2 in child.Plan.Steps)
            {
                AppendHtmlRow(html, step2, child.StateOf(step2.Id), null, false, child.ChildrenOf(step2.Id), columns: 6);
            }

            html.Append("</table></section>");
        }

        html.Append("</td></tr>");
    }

    private static string GraphSvg(string? id, IEnumerable<GraphNode> graphNodes)
    {
        var nodes = graphNodes.ToList();
        var level = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            level[node.Key] = node.DependsOn.Where(level.ContainsKey).Select(d => level[d] + 1).DefaultIfEmpty(0).Max();
        }

        var rows = new Dictionary<int, int>();
        var position = new Dictionary<string, (int X, int Y)>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var column = level[node.Key];
            var row = rows.TryGetValue(column, out var used) ? used : 0;
            rows[column] = row + 1;
            position[node.Key] = (20 + (column * (NodeWidth + 60)), 20 + (row * (NodeHeight + 24)));
        }

        var width = position.Count == 0 ? 200 : position.Values.Max(p => p.X) + NodeWidth + 20;
        var height = position.Count == 0 ? 60 : position.Values.Max(p => p.Y) + NodeHeight + 20;
        var svg = new StringBuilder(Invariant($"<svg{(id is null ? string.Empty : $" id=\"{id}\"")} xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"plan graph\">"));

        // The main graph defines the arrow head once; child plan graphs, drawn after it, use it too.
        if (id is not null)
        {
            svg.Append(Invariant($"<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>"));
        }

        foreach (var node in nodes)
        {
            foreach (var dependency in node.DependsOn.Where(position.ContainsKey))
            {
                var (x1, y1) = position[dependency];
                var (x2, y2) = position[node.Key];
                svg.Append(Invariant($"<line class=\"edge\" x1=\"{x1 + NodeWidth}\" y1=\"{y1 + (NodeHeight / 2)}\" x2=\"{x2}\" y2=\"{y2 + (NodeHeight / 2)}\" stroke=\"#777\" marker-end=\"url(#arrow)\"/>"));
            }
        }

        foreach (var node in nodes)
        {
            var (x, y) = position[node.Key];
            var status = CssClass(node.Status);
            svg.Append(Invariant($"<g class=\"node {status}{(node.Replaced ? " replaced" : string.Empty)}\"><title>{E(node.Id)}: {E(node.Description)}{(node.Replaced ? " (replaced by a later plan version)" : string.Empty)}</title><rect x=\"{x}\" y=\"{y}\" width=\"{NodeWidth}\" height=\"{NodeHeight}\"/>"));
            svg.Append(Invariant($"<text x=\"{x + 8}\" y=\"{y + 19}\" font-size=\"13\" font-weight=\"bold\">{E(Clip(node.Id, 16))} · {E(node.Status)}</text><text x=\"{x + 8}\" y=\"{y + 37}\" font-size=\"11\">{E(Clip(node.Description, 30))}</text>"));
            if (node.Tag is not null)
            {
                svg.Append(Invariant($"<text class=\"version\" x=\"{x + NodeWidth - 8}\" y=\"{y + 19}\" font-size=\"11\" text-anchor=\"end\">{E(node.Tag)}</text>"));
            }

            svg.Append("</g>");
        }

        return svg.Append("</svg>").ToString();
    }

    private static string TimelineSvg(RunHistory history)
    {
        var timed = Timed(history);
        const int Left = 110, Width = 800, Row = 22;
        var height = 30 + (Math.Max(1, timed.Count) * Row);
        var svg = new StringBuilder(Invariant($"<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + Width + 20}\" height=\"{height}\" role=\"img\" aria-label=\"timeline\">"));
        if (timed.Count == 0)
        {
            return svg.Append("<text x=\"10\" y=\"20\">No step ran.</text></svg>").ToString();
        }

        var start = timed.Min(s => s.State.StartedAt!.Value);
        var span = Math.Max(1, (timed.Max(s => s.State.EndedAt!.Value) - start).TotalMilliseconds);
        svg.Append(Invariant($"<text x=\"{Left}\" y=\"14\" font-size=\"11\">0 s</text><text x=\"{Left + Width - 40}\" y=\"14\" font-size=\"11\">{span / 1000:0.00} s</text>"));
        for (var i = 0; i < timed.Count; i++)
        {
            var step = timed[i];
            var x = Left + ((step.State.StartedAt!.Value - start).TotalMilliseconds / span * Width);
            var w = Math.Max(2, step.State.Duration!.Value.TotalMilliseconds / span * Width);
            var y = 22 + (i * Row);
            svg.Append(Invariant($"<text x=\"4\" y=\"{y + 13}\" font-size=\"12\">{E(Clip(TimelineLabel(history, step), 16))}</text><rect class=\"bar {CssClass(step.State.Status)}\" x=\"{x:0.0}\" y=\"{y}\" width=\"{w:0.0}\" height=\"{Row - 6}\" stroke=\"#555\"><title>{E(TimelineLabel(history, step))}: {step.State.Duration.Value.TotalMilliseconds:0} ms</title></rect>"));
        }

        return svg.Append("</svg>").ToString();
    }

    private static List<ReportStep> Timed(RunHistory history) =>
        [.. history.Steps.Where(s => s.State.StartedAt is not null && s.State.EndedAt is not null).OrderBy(s => s.State.StartedAt).ThenBy(s => s.Key, StringComparer.Ordinal)];

    private static string TimelineLabel(RunHistory history, ReportStep step) =>
        history.SpansVersions ? step.Step.Id + " (v" + step.Version.ToString(CultureInfo.InvariantCulture) + ")" : step.Step.Id;

    /// <summary>A status as a CSS class: only the known ones, so that stored text never becomes markup.</summary>
    private static string CssClass(string status) => status switch
    {
        "completed" or "failed" or "skipped" or "running" => status,
        _ => "pending",
    };

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

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record GraphNode(string Key, string Id, string Description, string Status, string? Tag, bool Replaced, IReadOnlyList<string> DependsOn);
}
