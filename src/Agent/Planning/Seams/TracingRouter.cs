using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>The tracing layer around any router: a <c>route</c> span with the decision.</summary>
internal sealed class TracingRouter : IRouter
{
    private readonly IRouter _inner;

    public TracingRouter(IRouter inner)
    {
        _inner = inner;
    }

    public async Task<RouteDecision> RouteAsync(RunContext run, CancellationToken cancellationToken = default)
    {
        using var span = PlansmithTelemetry.Start("route");
        var decision = await _inner.RouteAsync(run, cancellationToken).ConfigureAwait(false);
        span?.SetTag("plansmith.route.needs_plan", decision.NeedsPlan);
        return decision;
    }
}
