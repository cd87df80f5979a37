using Plansmith.Agent.Plans;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>The tracing layer around any planner: a span per planning operation (plan, reflect, replan, decompose), so custom planners are traced like the built-in one.</summary>
internal sealed class TracingPlanner : IPlanner
{
    private readonly IPlanner _inner;

    public TracingPlanner(IPlanner inner)
    {
        _inner = inner;
    }

    public async Task<Plan> CreateAsync(RunContext run, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("plan");
        var plan = await Traced(span, _inner.CreateAsync(run, cancellationToken)).ConfigureAwait(false);
        span?.SetTag("plansmith.plan.steps", plan.Steps.Count);
        return plan;
    }

    public async Task<PlanReview> ReflectAsync(RunContext run, Plan plan, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("reflect");
        return await Traced(span, _inner.ReflectAsync(run, plan, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<Plan> ReviseAsync(RunContext run, PlanFailure failure, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("replan");
        span?.SetTag("plansmith.step.id", failure.FailedStepId);
        return await Traced(span, _inner.ReviseAsync(run, failure, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<Plan?> DecomposeAsync(RunContext run, PlanStep subgoal, string context, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("decompose");
        return await Traced(span, _inner.DecomposeAsync(run, subgoal, context, cancellationToken)).ConfigureAwait(false);
    }

    private static async Task<T> Traced<T>(System.Diagnostics.Activity? span, Task<T> call)
    {
        try
        {
            return await call.ConfigureAwait(false);
        }
        catch (Exception ex) when (span is not null)
        {
            PlansmithTelemetry.Fail(span, ex.GetType().Name);
            throw;
        }
    }
}
