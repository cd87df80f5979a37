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
}
