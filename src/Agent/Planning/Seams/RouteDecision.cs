namespace Plansmith.Agent.Planning;

/// <summary>What the router decided.</summary>
/// <param name="NeedsPlan">Whether the goal needs a plan.</param>
/// <param name="Answer">The answer when no plan is needed; empty otherwise.</param>
public sealed record RouteDecision(bool NeedsPlan, string Answer);
