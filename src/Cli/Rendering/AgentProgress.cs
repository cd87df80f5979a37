using System.Globalization;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Runs;

namespace Plansmith.Cli.Rendering;

/// <summary>Shows a run as it goes.</summary>
internal interface IAgentProgress : IDisposable
{
    void Render(ExecutionEvent e);
}

/// <summary>One line per event, for pipes, logs and CI.</summary>
internal sealed class PlainAgentProgress : IAgentProgress
{
    private readonly TextWriter _writer;
    private readonly ProgressRenderer _steps;

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
                _writer.WriteLine(PlanRendering.Tree(created.Plan));
                break;
            case PlanRejected rejected:
                _writer.WriteLine($"Plan rejected ({rejected.Stage}, attempt {rejected.Attempt}): {string.Join(" ", rejected.Problems.Select(p => p.ToString()))}");
                break;
            case PlanReflected { Approved: false } reflected:
                _writer.WriteLine($"Plan revised after review: {string.Join("; ", reflected.Issues)}");
                _writer.WriteLine(PlanRendering.Tree(reflected.Plan));
                break;
            case Replanned replanned:
                _writer.WriteLine($"Replanned after {replanned.FailedStepId} failed ({replanned.Error}):");
                _writer.WriteLine(PlanRendering.Tree(replanned.Plan));
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
            case StepStarted or StepCompleted or StepFailed or StepSkipped or StepRetrying or StepFallbackStarted:
                _steps.Render(e);
                break;
            case PlanCompleted completed:
                _writer.WriteLine(Summary(completed.Result));
                break;
        }
    }

    public void Dispose()
    {
    }

    private static string Summary(PlanExecutionResult result)
    {
        var counts = string.Join(", ", result.Steps.GroupBy(s => s.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        return string.Create(CultureInfo.InvariantCulture, $"Steps {result.Status.ToString().ToLowerInvariant()} in {result.Duration.TotalSeconds:0.0} s: {counts}.");
    }
}
