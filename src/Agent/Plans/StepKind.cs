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
}
