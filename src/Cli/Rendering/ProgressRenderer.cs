using System.Globalization;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Cli.Rendering;

/// <summary>Writes one line per run event: step k of n, percent, status, preview, time left.</summary>
internal sealed class ProgressRenderer
{
    private readonly TextWriter _writer;
    private Dictionary<string, string> _descriptions = [];

    public ProgressRenderer(TextWriter writer)
    {
        _writer = writer;
    }

    public void Begin(Plan plan, int maxParallelism)
    {
        _descriptions = plan.Steps.ToDictionary(s => s.Id, s => s.Description, StringComparer.Ordinal);
        var goal = plan.Goal is null ? string.Empty : $" for: {plan.Goal}";
        _writer.WriteLine($"Plan of {plan.Steps.Count} steps{goal} (up to {maxParallelism} at once)");
    }

    public void Render(ExecutionEvent e)
    {
        var line = e switch
        {
            StepStarted s => $"{Counter(e)} ▶ {s.StepId}  {s.Description}  (step {s.Ordinal} of {s.Total})",
            StepCompleted c => $"{Counter(e)} ✓ {c.StepId}  {Seconds(c.Duration)}{Attempts(c.Attempts)}{(c.UsedFallback ? " via fallback" : string.Empty)} → {c.OutputPreview}{Remaining(e)}",
            StepRetrying r => $"{Counter(e)} ↻ {r.StepId}  attempt {r.FailedAttempt} of {r.MaxAttempts} failed; retrying in {Seconds(r.Delay)}: {r.Error}",
            StepFallbackStarted f => $"{Counter(e)} ⤳ {f.StepId}  falling back to: {f.FallbackDescription}",
            StepFailed f => $"{Counter(e)} ✗ {f.StepId}  failed after {f.Attempts} attempt(s): {f.Error}",
            StepSkipped s => $"{Counter(e)} – {s.StepId}  skipped: {s.Reason}",
            StepDiscarded d => $"{Counter(e)} ↺ {d.StepId}  early result discarded: {d.Reason}",
            PlanCompleted p => Summary(p.Result),
            _ => null,
        };
        if (line is not null)
        {
            _writer.WriteLine(line);
        }
    }

    private static string Counter(ExecutionEvent e) =>
        $"[{e.Progress.Finished}/{e.Progress.Total} {e.Progress.Percent.ToString("0", CultureInfo.InvariantCulture),3}%]";

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    private static string Attempts(int attempts) => attempts > 1 ? $", {attempts} attempts" : string.Empty;

    private static string Remaining(ExecutionEvent e) =>
        e.Progress.EstimatedRemaining is { } left && e.Progress.Finished < e.Progress.Total ? $"  (~{Seconds(left)} left)" : string.Empty;

    private static string Summary(PlanExecutionResult result)
    {
        var counts = string.Join(", ", result.Steps.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        var head = $"Run {result.Status.ToString().ToLowerInvariant()} in {Seconds(result.Duration)}: {counts}.";
        return result.Error is null ? head : head + Environment.NewLine + "  " + result.Error;
    }
}
