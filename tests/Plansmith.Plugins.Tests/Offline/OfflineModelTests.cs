using Microsoft.SemanticKernel;
using Plansmith.Agent.Offline;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Plugins.Hosting;

namespace Plansmith.Plugins.Tests.Offline;

/// <summary>The built-in offline model driving the whole pipeline with the real plugins.</summary>
public sealed class OfflineModelTests : IDisposable
{
    private readonly string _corpus = Directory.CreateTempSubdirectory("plansmith-offline-").FullName;
    private readonly string _index = Directory.CreateTempSubdirectory("plansmith-offline-index-").FullName;
    private readonly PromptLibrary _prompts = new();

    public OfflineModelTests()
    {
        File.WriteAllText(Path.Combine(_corpus, "flask.md"), "# Flask routing\n\nFlask routing uses the @app.route decorator to bind a URL rule to a view function.");
        File.WriteAllText(Path.Combine(_corpus, "fastapi.md"), "# FastAPI routing\n\nFastAPI routing declares path operations with decorators such as @app.get and validates parameters with type hints.");
    }

    public void Dispose()
    {
        _prompts.Dispose();
        Directory.Delete(_corpus, recursive: true);
        Directory.Delete(_index, recursive: true);
    }

    private Kernel Kernel(bool withCorpus = true)
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder().AddPlansmithOfflineModel().Build();
        kernel.Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { CorpusDirectory = withCorpus ? _corpus : null, IndexDirectory = _index, EnableFetch = false }, _prompts);
        return kernel;
    }

    [Fact]
    public async Task Run_CompareGoal_SearchesEachItemAnalysesVerifiesAndAnswersWithATable()
    {
        using var agent = new PlanningAgent(Kernel(), new PlansmithOptions(), _prompts);

        var result = await agent.RunAsync("Compare Flask and FastAPI routing");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["s1", "s2", "a1", "v1"], result.Plan!.Steps.Select(s => s.Id));
        Assert.Equal("search.search", result.Plan.Steps[0].Tool);
        Assert.Equal("Flask routing", result.Plan.Steps[0].Arguments["query"].GetString());
        Assert.Equal(StepKind.Verify, result.Plan.Steps[3].Kind);
        Assert.Contains("flask.md", result["s1"].Output, StringComparison.Ordinal);
        Assert.Contains("| Flask |", result.Answer, StringComparison.Ordinal);
        Assert.Contains("| FastAPI |", result.Answer, StringComparison.Ordinal);
        Assert.Contains("@app.route", result.Answer, StringComparison.Ordinal);
        Assert.Contains("offline model", result.Answer, StringComparison.Ordinal);
        Assert.True(result.Usage.ModelCalls > 0);
    }

    [Fact]
    public async Task Run_WithoutASearchTool_ModelStepsCallTheToolWhoseDescriptionMatches()
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder().AddPlansmithOfflineModel().Build();
        var facts = new FactsPlugin();
        kernel.Plugins.AddFromObject(facts, "facts");
        using var agent = new PlanningAgent(kernel, new PlansmithOptions(), _prompts);

        var result = await agent.RunAsync("Compare Flask and FastAPI routing");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Null(result.Plan!.Steps[0].Tool);
        Assert.Contains("Flask routing", facts.Topics);
        Assert.Contains("FastAPI routing", facts.Topics);
        Assert.Contains("fact about Flask routing", result["s1"].Output, StringComparison.Ordinal);
    }

    public sealed class FactsPlugin
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Topics { get; } = [];

        [KernelFunction("lookup"), System.ComponentModel.Description("Finds out facts about a topic, such as a framework's routing.")]
        public string Lookup([System.ComponentModel.Description("The topic")] string topic)
        {
            Topics.Add(topic);
            return "fact about " + topic;
        }
    }

    [Fact]
    public async Task Run_Greeting_IsAnsweredWithoutAPlan()
    {
        using var agent = new PlanningAgent(Kernel(), new PlansmithOptions(), _prompts);

        var result = await agent.RunAsync("hello there");

        Assert.Equal(AgentRunStatus.Answered, result.Status);
        Assert.Contains("offline model", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_OfflineProgram_RunsInTheSandbox()
    {
        var kernel = Kernel();

        var result = await kernel.InvokeAsync("analyze", "analyze", new() { ["data"] = "q1 120\nq2 180", ["question"] = "What is the total?", ["language"] = "javascript" });

        Assert.Contains("sum 300", result.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_QuestionOverTheCorpus_SearchesAndNeverRunsCodeWithStepText()
    {
        var kernel = Kernel();
        var calls = new CallRecorder();
        kernel.AutoFunctionInvocationFilters.Add(calls);
        kernel.FunctionInvocationFilters.Add(calls);
        using var agent = new PlanningAgent(kernel, new PlansmithOptions(), _prompts);

        var result = await agent.RunAsync("How does Flask routing work, and can it run after a crash?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.DoesNotContain(calls.Names, n => n == "analyze.run_code");
        Assert.Contains("search.search", calls.Names);
        Assert.All(result.Steps, s => Assert.DoesNotContain("Error:", s.Output, StringComparison.Ordinal));
        Assert.Contains("@app.route", result.Answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OnlyAToolWithConstrainedParameters_IsCalledWithAllowedValuesOnly()
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder().AddPlansmithOfflineModel().Build();
        var tools = new LanguageTools();
        kernel.Plugins.AddFromObject(tools, "lang");
        using var agent = new PlanningAgent(kernel, new PlansmithOptions(), _prompts);

        // run_code matches the step's words best, but the offline model cannot write its code.
        var result = await agent.RunAsync("Describe the javascript style guide");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["javascript"], tools.Languages);
        Assert.Equal(0, tools.ProgramsRun);
    }

    [Fact]
    public async Task Run_StepsFail_AnswerSaysItIsPartialWithoutThePromptsInstruction()
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder().AddPlansmithOfflineModel().Build();
        kernel.Plugins.AddFromType<BrokenSearch>("docs");
        using var agent = new PlanningAgent(kernel, new PlansmithOptions { MaxReplans = 0 }, _prompts);

        var result = await agent.RunAsync("Compare Flask and FastAPI routing");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Contains("This answer is partial", result.Answer, StringComparison.Ordinal);
        Assert.Contains("the index is offline", result.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("say plainly", result.Answer, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Answer from the results there are", result.Answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Note:", result.Answer, StringComparison.Ordinal);
    }

    public sealed class BrokenSearch
    {
        [KernelFunction("search"), System.ComponentModel.Description("Searches the documents.")]
        public static string Search([System.ComponentModel.Description("What to look for")] string query) =>
            throw new InvalidOperationException("the index is offline");
    }

    public sealed class LanguageTools
    {
        public System.Collections.Concurrent.ConcurrentBag<string> Languages { get; } = [];

        public int ProgramsRun { get; private set; }

        [KernelFunction("style_guide"), System.ComponentModel.Description("Describes the style guide of a language.")]
        public string StyleGuide([System.ComponentModel.Description("The language: python or javascript.")] string language)
        {
            Languages.Add(language);
            return $"{language}: use four spaces";
        }

        [KernelFunction("run_code"), System.ComponentModel.Description("Runs a program to check it against the style guide for javascript or python.")]
        public string RunCode([System.ComponentModel.Description("The language: python or javascript.")] string language, [System.ComponentModel.Description("The program's source code.")] string code)
        {
            ProgramsRun++;
            return "ran";
        }
    }

    private sealed class CallRecorder : IAutoFunctionInvocationFilter, IFunctionInvocationFilter
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _names = new();

        public IReadOnlyList<string> Names => [.. _names];

        public async Task OnAutoFunctionInvocationAsync(AutoFunctionInvocationContext context, Func<AutoFunctionInvocationContext, Task> next)
        {
            _names.Enqueue($"{context.Function.PluginName}.{context.Function.Name}");
            await next(context);
        }

        public async Task OnFunctionInvocationAsync(FunctionInvocationContext context, Func<FunctionInvocationContext, Task> next)
        {
            if (context.Function.PluginName is not null)
            {
                _names.Enqueue($"{context.Function.PluginName}.{context.Function.Name}");
            }

            await next(context);
        }
    }
}
