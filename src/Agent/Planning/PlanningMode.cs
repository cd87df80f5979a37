namespace Plansmith.Agent.Planning;

/// <summary>Presets of the one engine; see <see cref="PlansmithOptions.UseMode"/>.</summary>
public enum PlanningMode
{
    /// <summary>Steps run one at a time in dependency order.</summary>
    Linear,

    /// <summary>A step starts the moment its dependencies complete, several at once.</summary>
    Dag,

    /// <summary>Subgoal steps are expanded into child plans.</summary>
    Hierarchical,

    /// <summary>A step that fails for good leads to a revised plan for the remaining work.</summary>
    Adaptive,
}
