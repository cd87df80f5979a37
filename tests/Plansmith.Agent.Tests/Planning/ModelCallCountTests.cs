using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>A run's model calls are the requests its model received: what the provider bills.</summary>
public sealed class ModelCallCountTests
{
    private static object DagPlan(string chatTool) => new
    {
        steps = new object[]
        {
            new { id = "s1", description = "Shout the word hello", dependencies = Array.Empty<string>() },
            new { id = "s2", description = "Add", dependencies = Array.Empty<string>(), tool = "math.add", arguments = new { a = 40, b = 2 } },
            new { id = "s3", description = "Combine", dependencies = new[] { "s1", "s2" } },
        },
    };

    private static async Task<(AgentRunResult Result, ScriptedModel Model)> RunAsync(Func<ModelRequest, ModelReply?> special, string chatTool = "text-upper")
    {
        var model = new ScriptedModel(r => special(r) ?? r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(DagPlan(chatTool)),
            "plan_revise" => ModelReply.Json(new { steps = new object[] { new { id = "r1", description = "Combine what there is", dependencies = new[] { "s2" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "step_execute" when r.User.Contains("Step: Shout", StringComparison.Ordinal) && r.ToolResults.Count == 0 => ModelReply.Call(chatTool, new { text = "hello", message = "the tool broke" }),
            "step_execute" => new ModelReply("done: " + string.Join(",", r.ToolResults.Select(t => t.Content))),
            "synthesize" => new ModelReply("HELLO and 42."),
            _ => throw new InvalidOperationException("unexpected " + r.Prompt),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scripted-model", server.BaseAddress, TestAgents.ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        kernel.Plugins.AddFromType<TextPlugin>("text");
        using var agent = new PlanningAgent(kernel, TestAgents.Options(o =>
        {
            o.UseMode(PlanningMode.Dag);
            o.UseRouter = true;
            o.MaxReflectionRounds = 1;
            o.MaxReplans = 1;
        }));
        var result = await agent.RunAsync("Shout hello and add 40 and 2").WaitAsync(TimeSpan.FromSeconds(60));
        return (result, model);
    }

    [Fact]
    public async Task RunAsync_DagWithToolCallToolStepAndAnswer_CountsEveryRequest()
    {
        var (result, model) = await RunAsync(_ => null);
        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(model.Requests.Count, result.Usage.ModelCalls);
    }

    [Fact]
    public async Task RunAsync_ToolCallThatThrows_CountsEveryRequest()
    {
        var (result, model) = await RunAsync(_ => null, chatTool: "text-fail");

        // The step's only tool call failed and the model passed the error on: the step fails and the run replans.
        var failed = Assert.Single(result.Events.OfType<StepFailed>());
        Assert.Equal("s1", failed.StepId);
        Assert.Contains("the tool broke", failed.Error, StringComparison.Ordinal);
        Assert.Equal("s1", Assert.Single(result.Events.OfType<Replanned>()).FailedStepId);
        Assert.Equal(model.Requests.Count, result.Usage.ModelCalls);
    }

    [Fact]
    public async Task RunAsync_AnswerAskedAgainOnce_CountsEveryRequest()
    {
        var (result, model) = await RunAsync(r => r.Prompt == "synthesize" && r.Stream ? new ModelReply(string.Empty) : null);
        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, model.RequestsFor("synthesize").Count);
        Assert.Equal(model.Requests.Count, result.Usage.ModelCalls);
    }

    [Fact]
    public async Task RunAsync_ToolsThatCallTheModelThemselves_CountsEveryRequest()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "s1", description = "Compare apples and pears", dependencies = Array.Empty<string>() },
                    new { id = "s2", description = "Compare figs", dependencies = Array.Empty<string>(), tool = "nested.compare", arguments = new { items = "figs", criteria = "taste" } },
                },
            }),
            "step_execute" when r.ToolResults.Count == 0 => ModelReply.Call("nested-compare", new { items = "apples, pears", criteria = "taste" }),
            "step_execute" => new ModelReply("compared: " + r.ToolResults[0].Content),
            "compare" => new ModelReply("| item | taste |"),
            "synthesize" => new ModelReply("Apples, pears and figs compared."),
            _ => throw new InvalidOperationException("unexpected " + r.Prompt),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scripted-model", server.BaseAddress, TestAgents.ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        using var agent = new PlanningAgent(kernel, TestAgents.Options(o => o.UseMode(PlanningMode.Dag)));
        kernel.Plugins.AddFromObject(new NestedPromptPlugin(agent.Prompts), "nested");

        var result = await agent.RunAsync("Compare apples, pears and figs").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, model.Requests.Count(r => r.Prompt == "compare"));
        Assert.Equal(model.Requests.Count, result.Usage.ModelCalls);
    }

    /// <summary>A tool that asks the model itself, through one of the agent's prompts.</summary>
    public sealed class NestedPromptPlugin(PromptLibrary prompts)
    {
        [KernelFunction("compare"), System.ComponentModel.Description("Compares items.")]
        public async Task<string> CompareAsync(Kernel kernel, [System.ComponentModel.Description("Items")] string items, [System.ComponentModel.Description("Criteria")] string criteria)
        {
            var result = await prompts.InvokeAsync(kernel, new CompareInputs(items, criteria, "table"));
            return result.GetValue<string>() ?? string.Empty;
        }
    }
}
