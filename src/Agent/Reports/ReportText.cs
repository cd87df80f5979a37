using System.Globalization;
using System.Net;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Reports;

/// <summary>What every report format shares: clipping, escaping, status classes, durations, the timed steps.</summary>
internal static class ReportText
{
    /// <summary>A status as a CSS class: only the known ones, so that stored text never becomes markup.</summary>
    public static string CssClass(StepStatus status) => status switch
    {
        StepStatus.Completed or StepStatus.Failed or StepStatus.Skipped or StepStatus.Running => status.ToText(),
        _ => "pending",
    };

    public static string Duration(StoredRun run) =>
        run.EndedAt is { } end ? Invariant($"{(end - run.StartedAt).TotalSeconds:0.0} s") : "not finished";

    public static string Usage(StoredRun run) =>
        Invariant($"{run.Usage.ModelCalls} model calls, {run.Usage.InputTokens} input and {run.Usage.OutputTokens} output tokens");

    /// <summary>The steps that started and ended, in the order they started.</summary>
    public static List<ReportStep> Timed(RunHistory history) =>
        [.. history.Steps.Where(s => s.State.StartedAt is not null && s.State.EndedAt is not null).OrderBy(s => s.State.StartedAt).ThenBy(s => s.Key, StringComparer.Ordinal)];

    public static string TimelineLabel(RunHistory history, ReportStep step) =>
        history.SpansVersions ? step.Step.Id + " (v" + step.Version.ToString(CultureInfo.InvariantCulture) + ")" : step.Step.Id;

    public static string Version(int version) => "v" + version.ToString(CultureInfo.InvariantCulture);

    public static string Clip(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    /// <summary>Text as HTML text or attribute value.</summary>
    public static string E(string text) => WebUtility.HtmlEncode(text);

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
