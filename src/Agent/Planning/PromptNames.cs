namespace Plansmith.Agent.Planning;

/// <summary>The prompt functions Plansmith needs, and the inputs each must take.</summary>
public static class PromptNames
{
    /// <summary>Creates a plan for a goal.</summary>
    public const string PlanCreate = "plan_create";

    /// <summary>Critiques and improves a plan.</summary>
    public const string PlanReflect = "plan_reflect";

    /// <summary>Plans the remaining work after a failure.</summary>
    public const string PlanRevise = "plan_revise";

    /// <summary>Expands a subgoal into child steps.</summary>
    public const string PlanDecompose = "plan_decompose";

    /// <summary>Performs one step with a model.</summary>
    public const string StepExecute = "step_execute";

    /// <summary>Judges a claim.</summary>
    public const string StepVerify = "step_verify";

    /// <summary>Writes the final answer.</summary>
    public const string Synthesize = "synthesize";

    /// <summary>Decides whether a request needs a plan.</summary>
    public const string Route = "route";

    /// <summary>Writes a program that answers a question about data (the analyze plugin).</summary>
    public const string AnalyzeCode = "analyze_code";

    /// <summary>Compares items on criteria (the synthesize plugin).</summary>
    public const string Compare = "compare";

    /// <summary>Every required function with the inputs its template must declare and use.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredInputs { get; } = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [PlanCreate] = ["goal", "tools", "agents", "max_steps", "context", "feedback"],
        [PlanReflect] = ["goal", "plan", "tools", "agents", "max_steps"],
        [PlanRevise] = ["goal", "plan", "completed", "failed_step", "error", "tools", "agents", "max_steps", "feedback"],
        [PlanDecompose] = ["goal", "subgoal", "context", "tools", "agents", "max_steps", "feedback"],
        [StepExecute] = ["goal", "step", "context", "instructions"],
        [StepVerify] = ["goal", "claim", "context"],
        [Synthesize] = ["goal", "results", "notes"],
        [Route] = ["request", "tools"],
        [AnalyzeCode] = ["language", "question", "data", "feedback"],
        [Compare] = ["items", "criteria", "format"],
    };
}
