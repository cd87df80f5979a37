using System.Globalization;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Spectre.Console;

namespace Plansmith.Cli.Rendering;

/// <summary>
/// A live display for terminals: the plan as a tree whose steps change state (pending, running
/// with elapsed time, done, failed, skipped, replanned, cancelled), a progress line (k of n,
/// percent, time left, falling as time passes). It steps aside while a question is asked
/// (<see cref="Pause"/>) and for good when the answer starts (<see cref="Stop"/>).
/// </summary>
internal sealed class LiveAgentProgress : IAgentProgress
{
    private readonly IAnsiConsole _console;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string State, DateTimeOffset? Started, string Note)> _states = new(StringComparer.Ordinal);
    private Plan? _plan;
    private ExecutionProgress _progress;
    private DateTimeOffset _progressAt;
    private string _status = "Planning…";
    private Session? _session;
    private bool _stopped;

    public LiveAgentProgress(IAnsiConsole console, TimeProvider? time = null)
    {
        _console = console;
        _time = time ?? TimeProvider.System;
        _session = new Session(this);
    }

    public void Render(ExecutionEvent e)
    {
        lock (_lock)
        {
            if (e.Progress != default && e is not SubplanEvent)
            {
                _progress = e.Progress;
                _progressAt = _time.GetUtcNow();
            }

            switch (e)
            {
                case PlanCreated created:
                    SetPlan(created.Plan, "Plan made");
                    break;
                case PlanReflected reflected:
                    SetPlan(reflected.Plan, reflected.Approved ? "Plan approved by review" : "Plan revised by review");
                    break;
                case PlanApproved approved:
                    // The plan that runs: an edit may have dropped steps or changed their descriptions.
                    SetPlan(approved.Plan, approved.Edited ? "Running the edited plan" : "Plan approved");
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
                case StepDiscarded discarded:
                    _states[discarded.StepId] = ("pending", null, "early result discarded: " + discarded.Reason);
                    break;
                case StepRetrying retrying:
                    _states[retrying.StepId] = ("running", retrying.Timestamp, $"retry after: {retrying.Error}");
                    break;
                case PlanCompleted { Result.Status: PlanExecutionStatus.Cancelled } cancelled:
                    foreach (var record in cancelled.Result.Steps.Where(s => s.Status == StepStatus.Cancelled))
                    {
                        _states[record.StepId] = ("cancelled", null, string.Empty);
                    }

                    _status = "Cancelled";
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

    /// <summary>The screen is cleared while paused: a question must show the plan itself.</summary>
    public Task<bool> ShowsForApprovalAsync(Plan plan, CancellationToken cancellationToken = default) => Task.FromResult(false);

    public IDisposable Pause()
    {
        Session? paused;
        lock (_lock)
        {
            paused = _session;
            _session = null;
        }

        if (paused is null)
        {
            return NoPause.Instance;
        }

        paused.End(clear: true);
        return new Resumer(this);
    }

    public void Stop()
    {
        Session? last;
        lock (_lock)
        {
            _stopped = true;
            last = _session;
            _session = null;
        }

        // The last drawing stays on screen: the plan with each step's outcome, above the answer.
        last?.End(clear: false);
    }

    public void Dispose() => Stop();

    private void ResumeAfterPause()
    {
        lock (_lock)
        {
            if (_stopped || _session is not null)
            {
                return;
            }
        }

        // Outside the lock: the new session draws at once, and drawing takes the lock.
        var session = new Session(this);
        lock (_lock)
        {
            _session = session;
        }
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

    private Rows Draw()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
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
                    "cancelled" => ("■", "grey"),
                    _ => ("○", "grey"),
                };
                var elapsed = state == "running" && started is { } s ? string.Create(CultureInfo.InvariantCulture, $" {(now - s).TotalSeconds:0.0}s") : string.Empty;
                var detail = state == "cancelled" ? " — cancelled" : note.Length == 0 ? string.Empty : " — " + (note.Length > 70 ? note[..70] + "…" : note);
                tree.AddNode(new Markup($"[{color}]{icon} {Markup.Escape(TerminalText.Clean(PlanRendering.Label(step)))}{elapsed}[/][grey]{Markup.Escape(TerminalText.Clean(detail))}[/]"));
            }

            // Between events the time left keeps falling with the clock.
            var p = _progressAt == default ? _progress : _progress.After(now - _progressAt);
            return new Rows(tree, new Markup("[bold]" + Markup.Escape(TerminalText.Clean(StatusLine(_status, p))) + "[/]"));
        }
    }

    /// <summary>The line under the tree: status, bar, k/n, percent and time left.</summary>
    internal static string StatusLine(string status, ExecutionProgress p)
    {
        if (p.Total == 0)
        {
            return status;
        }

        var left = p.EstimatedRemaining is { } eta && p.Finished < p.Total ? string.Create(CultureInfo.InvariantCulture, $", ~{Math.Ceiling(eta.TotalSeconds):0}s left") : string.Empty;
        var filled = (int)(p.Percent / 5);
        var bar = new string('█', filled) + new string('░', 20 - filled);
        return string.Create(CultureInfo.InvariantCulture, $"{status}  {bar} {p.Finished}/{p.Total} ({p.Percent:0}%){left}");
    }

    /// <summary>One stretch of live drawing, from start (or resume) to pause or stop.</summary>
    private sealed class Session
    {
        private readonly TaskCompletionSource _end = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly LiveDisplay _display;
        private readonly Task _loop;

        public Session(LiveAgentProgress owner)
        {
            _display = owner._console.Live(owner.Draw());
            _display.AutoClear = false;
            _loop = Task.Run(() => _display.StartAsync(async context =>
            {
                while (!_end.Task.IsCompleted)
                {
                    context.UpdateTarget(owner.Draw());
                    context.Refresh();
                    await Task.WhenAny(_end.Task, Task.Delay(150));
                }

                context.UpdateTarget(owner.Draw());
                context.Refresh();
            }));
        }

        /// <summary>Ends the drawing and waits for it: cleared from the screen, or left as it last was.</summary>
        public void End(bool clear)
        {
            // Spectre reads AutoClear when the display completes.
            _display.AutoClear = clear;
            _end.TrySetResult();
            try
            {
                _loop.GetAwaiter().GetResult();
            }
            catch (InvalidOperationException)
            {
                // The console was not interactive after all.
            }
        }
    }

    private sealed class Resumer(LiveAgentProgress owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.ResumeAfterPause();
            }
        }
    }
}
