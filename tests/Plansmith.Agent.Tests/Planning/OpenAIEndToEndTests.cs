using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>
/// The agent over SK's real OpenAI connector and its own HTTP stack, against our loopback
/// OpenAI-compatible server on 127.0.0.1: what a real provider would receive.
/// </summary>
public sealed class OpenAIEndToEndTests
{
    [Fact]
    public async Task RunAsync_OverLoopbackServer_SendsJsonModeToolCallsAndStreamingWithUsage()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "s1", description = "Shout the word hello", dependencies = Array.Empty<string>() },
                    new { id = "s2", description = "Add", dependencies = Array.Empty<string>(), tool = "math.add", arguments = new { a = 40, b = 2 } },
                },
            }),
            "step_execute" when r.ToolResults.Count == 0 => ModelReply.Call("text-upper", new { text = "hello" }),
            "step_execute" => new ModelReply("The shout is " + r.ToolResults[0].Content),
            "synthesize" => new ModelReply("HELLO and 42.", InputTokens: 50, OutputTokens: 30),
            _ => throw new InvalidOperationException("unexpected " + r.Prompt),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scripted-model", server.BaseAddress, TestAgents.ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        kernel.Plugins.AddFromType<TextPlugin>("text");
        using var agent = new PlanningAgent(kernel, TestAgents.Options());

        var result = await agent.RunAsync("Shout hello and add 40 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("HELLO and 42.", result.Answer);
        Assert.Equal("The shout is HELLO", result["s1"].Output);
        Assert.Equal("42", result["s2"].Output);

        Assert.All(model.Requests, r =>
        {
            Assert.Equal("/v1/chat/completions", r.Path);
            Assert.Equal("Bearer " + TestAgents.ApiKey, r.Authorization);
            Assert.Equal("scripted-model", r.Json["model"]!.GetValue<string>());
        });

        var create = Assert.Single(model.RequestsFor("plan_create"));
        Assert.Equal("json_object", create.ResponseFormat);
        Assert.Equal(0, create.Json["temperature"]!.GetValue<double>());
        Assert.Contains("- math.add — Adds two integers. Parameters: a (integer, required: First addend)", create.System, StringComparison.Ordinal);
        Assert.Equal("Goal: Shout hello and add 40 and 2", create.User.Split('\n')[0]);

        var executes = model.RequestsFor("step_execute");
        Assert.Equal(2, executes.Count);
        Assert.Contains("text-upper", executes[0].Tools);
        Assert.Contains("math-add", executes[0].Tools);
        Assert.Equal("auto", executes[0].Json["tool_choice"]!.GetValue<string>());
        var toolResult = Assert.Single(executes[1].ToolResults);
        Assert.Equal("HELLO", toolResult.Content);
        Assert.False(string.IsNullOrEmpty(toolResult.ToolCallId));

        var synthesize = Assert.Single(model.RequestsFor("synthesize"));
        Assert.True(synthesize.Stream);
        Assert.True(synthesize.Json["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.Contains("### s2: Add (completed)\n42", synthesize.User, StringComparison.Ordinal);

        // Four requests: the plan, the step's two round trips, the streamed answer (its usage from the last chunk).
        Assert.Equal(4, result.Usage.ModelCalls);
        Assert.Equal(100 + 100 + 100 + 50, result.Usage.InputTokens);
        Assert.Equal(20 + 20 + 20 + 30, result.Usage.OutputTokens);
    }

    [Fact]
    public async Task RunAsync_ProviderReturnsErrorsForTheAnswer_RunFailsWithTheStepResultsKept()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 1, b = 1 } } } }),
            _ => new ModelReply("upstream exploded", Status: 400),
        });
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scripted-model", server.BaseAddress, TestAgents.ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        using var agent = new PlanningAgent(kernel, TestAgents.Options());

        var result = await agent.RunAsync("Add one and one").WaitAsync(TimeSpan.FromSeconds(60));

        // Without an answer the run is not complete, however well its steps went; the failure is
        // reported in the result, not thrown.
        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Equal(string.Empty, result.Answer);
        Assert.Equal("2", result["s1"].Output);
        Assert.Contains("No complete answer could be written", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(TestAgents.ApiKey, result.Error, StringComparison.Ordinal);
    }
}
