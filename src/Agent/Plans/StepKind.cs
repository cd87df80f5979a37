namespace Plansmith.Agent.Plans;

/// <summary>What a plan step asks for.</summary>
public enum StepKind
{
    /// <summary>Do something: call a tool directly, or let the model do it with function calling.</summary>
    Action,

    /// <summary>Judge whether a claim made by earlier steps holds; the output is a pass/fail verdict.</summary>
    Verify,

    /// <summary>A goal too large for one step; it is expanded into a child plan.</summary>
    Subgoal,

    /// <summary>
    /// Gathers the outputs of its dependencies, in the order they are listed, into one JSON array;
    /// no tool, no model. A map step becomes one of these over its items, under the map step's id.
    /// </summary>
    Collect,
}
