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

    /// <summary>The typed inputs of every required function: the single source of its input names.</summary>
    public static IReadOnlyDictionary<string, Type> InputTypes { get; } = new Dictionary<string, Type>(StringComparer.Ordinal)
    {
        [PlanCreate] = typeof(PlanCreateInputs),
        [PlanReflect] = typeof(PlanReflectInputs),
        [PlanRevise] = typeof(PlanReviseInputs),
        [PlanDecompose] = typeof(PlanDecomposeInputs),
        [StepExecute] = typeof(StepExecuteInputs),
        [StepVerify] = typeof(StepVerifyInputs),
        [Synthesize] = typeof(SynthesizeInputs),
        [Route] = typeof(RouteInputs),
        [AnalyzeCode] = typeof(AnalyzeCodeInputs),
        [Compare] = typeof(CompareInputs),
    };

    /// <summary>Every required function with the inputs its template must declare and use.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredInputs { get; } =
        InputTypes.ToDictionary(p => p.Key, p => InputNames.Of(p.Value), StringComparer.Ordinal);

    /// <summary>The fragments each function needs (<c>NAME/FRAGMENT.txt</c>), with the typed inputs each must use.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, Type>> RequiredFragments { get; } = new Dictionary<string, IReadOnlyDictionary<string, Type>>(StringComparer.Ordinal)
    {
        [PlanCreate] = new Dictionary<string, Type> { [PlanFeedbackInputs.Name] = typeof(PlanFeedbackInputs) },
        [PlanRevise] = new Dictionary<string, Type> { [PlanFeedbackInputs.Name] = typeof(PlanFeedbackInputs) },
        [PlanDecompose] = new Dictionary<string, Type> { [PlanFeedbackInputs.Name] = typeof(PlanFeedbackInputs) },
        [AnalyzeCode] = new Dictionary<string, Type> { [AnalyzeFeedbackInputs.Name] = typeof(AnalyzeFeedbackInputs) },
        [Synthesize] = new Dictionary<string, Type> { [SynthesizeNoteInputs.BudgetNote] = typeof(SynthesizeNoteInputs), [SynthesizeNoteInputs.FailedNote] = typeof(SynthesizeNoteInputs) },
    };
}
