using Microsoft.Extensions.AI;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Settings for one call of <see cref="PlanningAgent.RunAsync"/>, <see cref="PlanningAgent.RunStreamingAsync"/>,
/// <see cref="PlanningAgent.PlanAsync"/> or <see cref="PlanningAgent.ResumeAsync"/>, apart from the
/// agent's own <see cref="PlansmithOptions"/> (as <c>ChatOptions</c> is apart from a chat client).
/// </summary>
public sealed class RunOptions
{
    /// <summary>Earlier turns of the conversation the goal comes from, oldest first. The planner sees them as background.</summary>
    public IList<ChatMessage> Conversation { get; init; } = [];

    /// <summary>Limits and behaviour for this run instead of the agent's (validated when the run starts); null for the agent's.</summary>
    public PlansmithOptions? Settings { get; init; }

    /// <summary>Run options that only replace the agent's settings: <c>agent.RunAsync(goal, settings)</c>.</summary>
    public static implicit operator RunOptions?(PlansmithOptions? settings) => FromSettings(settings);

    /// <summary>Run options that only replace the agent's settings; null for null.</summary>
    public static RunOptions? FromSettings(PlansmithOptions? settings) => settings is null ? null : new RunOptions { Settings = settings };
}
