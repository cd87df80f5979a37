namespace Plansmith.Agent.Hosting;

/// <summary>How the builder wired the agent's parts; checked when the agent is first resolved, and by a host as it starts.</summary>
internal sealed class PlansmithWiring
{
    /// <summary>Whether the built-in tool, chat, verify and subgoal executors run steps the added ones do not take.</summary>
    public bool BuiltInStepExecutors { get; set; } = true;
}
