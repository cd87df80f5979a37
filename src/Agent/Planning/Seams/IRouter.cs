namespace Plansmith.Agent.Planning;

/// <summary>Decides whether a goal needs a plan, or can be answered at once.</summary>
public interface IRouter
{
    /// <summary>The decision for <see cref="RunContext.Goal"/>; when no plan is needed it carries the answer.</summary>
    Task<RouteDecision> RouteAsync(RunContext run, CancellationToken cancellationToken = default);
}
