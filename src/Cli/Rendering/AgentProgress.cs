using System.Globalization;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Cli.Rendering;

/// <summary>Shows a run as it goes.</summary>
internal interface IAgentProgress : IDisposable
{
    void Render(ExecutionEvent e);

    /// <summary>
    /// Stops drawing until the returned handle is disposed, so that a question can be asked on the
    /// console without the display drawing over it.
    /// </summary>
    IDisposable Pause();

    /// <summary>Stops drawing for good (the answer is about to be printed); what is drawn stays.</summary>
    void Stop();

    /// <summary>
    /// Whether <paramref name="plan"/>, waiting for approval, is on screen as it is, so that the
    /// question need not print it again. Events are drawn on another thread than the one that asks,
    /// so this waits (briefly) until the display has drawn the approval request.
    /// </summary>
    Task<bool> ShowsForApprovalAsync(Plan plan, CancellationToken cancellationToken = default);
}

/// <summary>A pause that needs no resuming.</summary>
internal sealed class NoPause : IDisposable
{
    public static NoPause Instance { get; } = new();

    public void Dispose()
    {
    }
}

/// <summary>One line per event, for pipes, logs and CI.</summary>
internal sealed class PlainAgentProgress : IAgentProgress
{
    private readonly TextWriter _writer;
    private readonly ProgressRenderer _steps;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Plan, TaskCompletionSource> _approvals = new(ReferenceEqualityComparer.Instance);
    private Plan? _shown;

    public PlainAgentProgress(TextWriter writer)
    {
        _writer = writer;
        _steps = new ProgressRenderer(writer);
    }

    public void Render(ExecutionEvent e)
    {
        switch (e)
        {
            case RouteDecided { NeedsPlan: true }:
                _writer.WriteLine("Planning…");
                break;
            case PlanCreated created:
                Show(created.Plan);
                break;
            case PlanApprovalRequested requested:
                // The plan asked about is on screen once: drawn now unless it already is.
                if (!Same(requested.Plan, _shown))
                {
                    Show(requested.Plan);
                }

                _approvals.GetOrAdd(requested.Plan, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
                break;
            case PlanRejected rejected:
                _writer.WriteLine($"Plan rejected ({rejected.Stage}, attempt {rejected.Attempt}): {string.Join(" ", rejected.Problems.Select(p => p.ToString()))}");
                break;
            case PlanReflected { Approved: false } reflected:
                _writer.WriteLine($"Plan revised after review: {string.Join("; ", reflected.Issues)}");
                Show(reflected.Plan);
                break;
            case Replanned replanned:
                _writer.WriteLine($"Replanned after {replanned.FailedStepId} failed ({replanned.Error}):");
                Show(replanned.Plan);
                break;
            case SubplanCreated sub:
                _writer.WriteLine($"  {sub.ParentStepId} expanded into {sub.Plan.Steps.Count} steps: {string.Join(", ", sub.Plan.Steps.Select(s => s.Id))}");
                break;
            case SubplanEvent { Inner: StepCompleted or StepFailed } inner:
                _writer.Write("  " + inner.ParentStepId + " › ");
                _steps.Render(inner.Inner);
                break;
            case BudgetExhausted budget:
                _writer.WriteLine($"Budget reached: {budget.Reason}. No new step starts; writing the answer from what there is.");
                break;
            case StepDiscarded when _shown is null:
                // Work started for a plan nobody saw (the router answered at once): nothing to tell.
                break;
            case StepStarted or StepCompleted or StepFailed or StepSkipped or StepRetrying or StepFallbackStarted or StepDiscarded:
                _steps.Render(e);
                break;
            case PlanCompleted completed:
                _writer.WriteLine(Summary(completed.Result));
                break;
        }
    }

    public IDisposable Pause() => NoPause.Instance;

    public void Stop()
    {
    }

    /// <summary>True once the approval request for the plan has been drawn (the plan is then the last thing printed above the question).</summary>
    public async Task<bool> ShowsForApprovalAsync(Plan plan, CancellationToken cancellationToken = default)
    {
        var drawn = _approvals.GetOrAdd(plan, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            await drawn.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        finally
        {
            _approvals.TryRemove(plan, out _);
        }
    }

    public void Dispose()
    {
    }

    private static bool Same(Plan plan, Plan? shown) =>
        ReferenceEquals(plan, shown) || (shown is not null && PlanJson.Serialize(plan, indented: false) == PlanJson.Serialize(shown, indented: false));

    private void Show(Plan plan)
    {
        _writer.WriteLine(PlanRendering.Tree(plan));
        _shown = plan;
    }

    private static string Summary(PlanExecutionResult result)
    {
        var counts = string.Join(", ", result.Steps.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        return string.Create(CultureInfo.InvariantCulture, $"Steps {result.Status.ToString().ToLowerInvariant()} in {result.Duration.TotalSeconds:0.0} s: {counts}.");
    }
}
