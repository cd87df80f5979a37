using System.Text;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;
using static Plansmith.Agent.Reports.ReportText;

namespace Plansmith.Agent.Reports;

/// <summary>The HTML report's pictures as inline SVG: a plan graph laid out by dependency level, and a timeline of the steps.</summary>
internal static class SvgGraphics
{
    private const int NodeWidth = 200;
    private const int NodeHeight = 48;

    /// <summary>The plan graph; only the main graph (with an id) defines the arrow head, which child plan graphs drawn after it use too.</summary>
    public static string Graph(string? id, IEnumerable<Node> graphNodes)
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
            svg.Append(Invariant($"<text x=\"{x + 8}\" y=\"{y + 19}\" font-size=\"13\" font-weight=\"bold\">{E(Clip(node.Id, 16))} · {E(node.Status.ToText())}</text><text x=\"{x + 8}\" y=\"{y + 37}\" font-size=\"11\">{E(Clip(node.Description, 30))}</text>"));
            if (node.Tag is not null)
            {
                svg.Append(Invariant($"<text class=\"version\" x=\"{x + NodeWidth - 8}\" y=\"{y + 19}\" font-size=\"11\" text-anchor=\"end\">{E(node.Tag)}</text>"));
            }

            svg.Append("</g>");
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>The steps that ran as bars on one time axis, so that parallel steps show as overlapping bars.</summary>
    public static string Timeline(RunHistory history)
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

    /// <summary>A node of a plan graph; <see cref="Key"/> is unique in the page, <see cref="Tag"/> the version shown in the corner.</summary>
    public sealed record Node(string Key, string Id, string Description, StepStatus Status, string? Tag, bool Replaced, IReadOnlyList<string> DependsOn);
}
