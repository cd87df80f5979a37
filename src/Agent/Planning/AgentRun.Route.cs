using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>The router, off the critical path: with <see cref="PlansmithOptions.PlanWhileRouting"/>, routing and planning start together and the loser is cancelled.</summary>
internal sealed partial class AgentRun
{
    /// <summary>
    /// Asks the router. With <see cref="PlansmithOptions.PlanWhileRouting"/>, the planner is already
    /// writing the plan meanwhile: a goal that needs a plan loses no round trip to routing, and for a
    /// simple one the plan call is cancelled (what it had spent stays spent). The planner's events
    /// wait until the route is decided, so <see cref="RouteDecided"/> still comes first.
    /// </summary>
    private async Task<RouteDecision> RouteAsync(CancellationToken cancellationToken)
    {
        if (!_options.PlanWhileRouting)
        {
            var alone = await _agent.Router.RouteAsync(_run, cancellationToken).ConfigureAwait(false);
            await EmitAsync(new RouteDecided { Timestamp = Now, NeedsPlan = alone.NeedsPlan }).ConfigureAwait(false);
            return alone;
        }

        var planning = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _runEvents.Hold();
        var creating = _agent.Planner.CreateAsync(_run, planning.Token);
        RouteDecision decision;
        try
        {
            decision = await _agent.Router.RouteAsync(_run, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbandonAsync(planning, creating).ConfigureAwait(false);
            throw;
        }

        await _runEvents.EmitAheadAsync(new RouteDecided { Timestamp = Now, NeedsPlan = decision.NeedsPlan }).ConfigureAwait(false);
        if (!decision.NeedsPlan)
        {
            await AbandonAsync(planning, creating).ConfigureAwait(false);
            return decision;
        }

        await _runEvents.ReleaseAsync().ConfigureAwait(false);
        _creating = DisposeWhenDone(creating, planning);
        return decision;
    }

    /// <summary>Cancels the plan being written and forgets what it said.</summary>
    private async Task AbandonAsync(CancellationTokenSource planning, Task<Plan> creating)
    {
        await planning.CancelAsync().ConfigureAwait(false);
        try
        {
            await creating.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or PlanningFailedException or ModelCallException or BudgetExceededException)
        {
            // The plan was not wanted; how its call ended does not matter.
        }
        finally
        {
            planning.Dispose();
            _runEvents.Drop();
        }
    }

    private static async Task<Plan> DisposeWhenDone(Task<Plan> creating, CancellationTokenSource planning)
    {
        try
        {
            return await creating.ConfigureAwait(false);
        }
        finally
        {
            planning.Dispose();
        }
    }
}
