namespace Plansmith.Agent.Plans;

/// <summary>The kinds of problem that make a plan unusable.</summary>
public enum PlanProblemCode
{
    /// <summary>The text holds no JSON value that could be a plan.</summary>
    NoJson,

    /// <summary>The JSON is not shaped like a plan (no steps array, a step that is not an object…).</summary>
    InvalidShape,

    /// <summary>The plan has no steps.</summary>
    NoSteps,

    /// <summary>A step's <c>kind</c> is not action, verify or subgoal.</summary>
    UnknownKind,

    /// <summary>A step has no id.</summary>
    EmptyId,

    /// <summary>A step id holds characters that references cannot name.</summary>
    InvalidId,

    /// <summary>Two steps share an id.</summary>
    DuplicateId,

    /// <summary>A step depends on an id that no step has.</summary>
    UnknownDependency,

    /// <summary>Steps depend on each other in a circle.</summary>
    Cycle,

    /// <summary>A step names a tool the kernel does not have.</summary>
    UnknownTool,

    /// <summary>A step passes an argument its tool does not take.</summary>
    UnknownArgument,

    /// <summary>A step leaves out an argument its tool requires.</summary>
    MissingArgument,

    /// <summary>A step has arguments but no tool to pass them to.</summary>
    ArgumentsWithoutTool,

    /// <summary>A subgoal step names a tool; subgoals are expanded into plans, not called.</summary>
    SubgoalWithTool,

    /// <summary>A <c>${...}</c> reference is malformed.</summary>
    InvalidReference,

    /// <summary>A reference names a step that does not exist.</summary>
    UnknownReference,

    /// <summary>A reference names a step that is not among the step's (transitive) dependencies.</summary>
    ReferenceNotDependency,

    /// <summary>The plan has more steps than allowed.</summary>
    TooManySteps,

    /// <summary>A step is assigned to an agent profile that does not exist.</summary>
    UnknownAgent,

    /// <summary>The plan text is larger than a plan may be.</summary>
    TooLarge,

    /// <summary>A step's id or description is longer than allowed.</summary>
    TooLong,

    /// <summary>
    /// A map step cannot be expanded (no tool, a list that is empty or not a list, lists of
    /// different lengths), or a collect step calls a tool or collects nothing.
    /// </summary>
    InvalidMap,
}
