using System.Globalization;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Spectre.Console;

namespace Plansmith.Cli.Rendering;

/// <summary>
/// A live display for terminals: the plan as a tree whose steps change state (pending, running
/// with elapsed time, done, failed, skipped, replanned), a progress line (k of n, percent, time left).
/// </summary>
internal sealed class LiveAgentProgress : IAgentProgress
{
    private readonly IAnsiConsole _console;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string State, DateTimeOffset? Started, string Note)> _states = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private Plan? _plan;
    private ExecutionProgress _progress;
    private string _status = "Planning…";

    public LiveAgentProgress(IAnsiConsole console)
    {
        _console = console;
        _loop = Task.Run(() => _console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            while (!_stop.IsCancellationRequested)
            {
                context.UpdateTarget(Render());
                context.Refresh();
                try
                {
                    await Task.Delay(150, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            context.UpdateTarget(Render());
            context.Refresh();
        }));
    }

    public void Render(ExecutionEvent e)
    {
        lock (_lock)
        {
            if (e.Progress != default && e is not SubplanEvent)
            {
                _progress = e.Progress;
            }

            switch (e)
            {
                case PlanCreated created:
                    SetPlan(created.Plan, "Plan made");
                    break;
                case PlanReflected reflected:
                    SetPlan(reflected.Plan, reflected.Approved ? "Plan approved by review" : "Plan revised by review");
                    break;
                case Replanned replanned:
                    foreach (var step in _plan?.Steps ?? [])
                    {
                        if (replanned.Plan.FindStep(step.Id) is null)
                        {
                            _states[step.Id] = ("replanned", null, string.Empty);
                        }
                    }

                    SetPlan(replanned.Plan, $"Replanned after {replanned.FailedStepId} failed");
                    break;
                case StepStarted started:
                    _states[started.StepId] = ("running", started.Timestamp, string.Empty);
                    _status = "Running the plan";
                    break;
                case StepCompleted completed:
                    _states[completed.StepId] = ("done", null, completed.OutputPreview);
                    break;
                case StepFailed failed:
                    _states[failed.StepId] = ("failed", null, failed.Error);
                    break;
                case StepSkipped skipped:
                    _states[skipped.StepId] = ("skipped", null, skipped.Reason);
                    break;
                case StepRetrying retrying:
                    _states[retrying.StepId] = ("running", DateTimeOffset.UtcNow, $"retry after: {retrying.Error}");
                    break;
                case BudgetExhausted budget:
                    _status = "Budget reached: " + budget.Reason;
                    break;
                case AnswerDelta:
                    _status = "Writing the answer…";
                    break;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _loop.GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // The console was not interactive after all.
        }

        _stop.Dispose();
    }

    private void SetPlan(Plan plan, string status)
    {
        _plan = plan;
        _status = status;
        foreach (var step in plan.Steps)
        {
            _states.TryAdd(step.Id, ("pending", null, string.Empty));
        }
    }

    private Rows Render()
    {
        lock (_lock)
        {
            var tree = new Tree(Markup.Escape(TerminalText.Clean(_plan?.Goal is { } goal ? "Plan: " + PlanRendering.Headline(goal) : "Plan")));
            foreach (var step in _plan?.Steps ?? [])
            {
                var (state, started, note) = _states.GetValueOrDefault(step.Id, ("pending", null, string.Empty));
                var (icon, color) = state switch
                {
                    "running" => ("◐", "yellow"),
                    "done" => ("✓", "green"),
                    "failed" => ("✗", "red"),
                    "skipped" => ("–", "grey"),
                    "replanned" => ("↺", "blue"),
                    _ => ("○", "grey"),
                };
                var elapsed = started is { } s ? string.Create(CultureInfo.InvariantCulture, $" {(DateTimeOffset.UtcNow - s).TotalSeconds:0.0}s") : string.Empty;
                var detail = note.Length == 0 ? string.Empty : " — " + (note.Length > 70 ? note[..70] + "…" : note);
                tree.AddNode(new Markup($"[{color}]{icon} {Markup.Escape(TerminalText.Clean(PlanRendering.Label(step)))}{elapsed}[/][grey]{Markup.Escape(TerminalText.Clean(detail))}[/]"));
            }

            var p = _progress;
            var left = p.EstimatedRemaining is { } eta && p.Finished < p.Total ? string.Create(CultureInfo.InvariantCulture, $", ~{eta.TotalSeconds:0}s left") : string.Empty;
            var bar = p.Total == 0 ? string.Empty : new string('█', (int)(p.Percent / 5)) + new string('░', 20 - (int)(p.Percent / 5));
            var line = p.Total == 0 ? _status : string.Create(CultureInfo.InvariantCulture, $"{_status}  {bar} {p.Finished}/{p.Total} ({p.Percent:0}%){left}");
            return new Rows(tree, new Markup("[bold]" + Markup.Escape(TerminalText.Clean(line)) + "[/]"));
        }
    }
}
