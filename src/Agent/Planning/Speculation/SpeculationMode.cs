namespace Plansmith.Agent.Planning;

/// <summary>Which steps may start while the plan is still being written or reviewed.</summary>
public enum SpeculationMode
{
    /// <summary>No step starts before the plan is final and approved.</summary>
    None,

    /// <summary>
    /// Steps that cannot change the world — tool steps whose tool is marked idempotent (read-only)
    /// — start as soon as they are written and their inputs are ready; a result is kept only if
    /// the final, approved plan holds the same step. The default.
    /// </summary>
    ReadOnly,

    /// <summary>Every action step may start early (for hosts whose tools have no side effects, or that accept them).</summary>
    All,
}
