using Microsoft.Extensions.Configuration;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

public sealed class PlansmithOptionsTests
{
    [Fact]
    public void Bind_FromConfiguration_ReadsAgentProfilesAndLimits()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Plansmith:MaxReplans"] = "4",
            ["Plansmith:Execution:MaxParallelism"] = "6",
            ["Plansmith:Budget:MaxModelCalls"] = "12",
            ["Plansmith:Agents:analyst:Instructions"] = "You analyse.",
            ["Plansmith:Agents:analyst:Plugins:0"] = "math",
            ["Plansmith:Agents:analyst:ServiceId"] = "big",
            ["Plansmith:Agents:analyst:ExecutionSettings:temperature"] = "0.5",
        }).Build();

        var options = configuration.GetSection("Plansmith").Get<PlansmithOptions>()!;

        Assert.Empty(options.Check());
        Assert.Equal(4, options.MaxReplans);
        Assert.Equal(6, options.Execution.MaxParallelism);
        Assert.Equal(12, options.Budget.MaxModelCalls);
        var analyst = options.Agents["analyst"];
        Assert.Equal(["math"], analyst.Plugins);
        Assert.Equal("big", analyst.ServiceId);
        Assert.Equal("0.5", analyst.ExecutionSettings["temperature"]);
    }

    [Fact]
    public void Check_InvalidValues_NameEachSetting()
    {
        var options = new PlansmithOptions { MaxReplans = -1, MaxDepth = 9 };
        options.Budget.MaxModelCalls = 0;
        options.Agents["bad name"] = new Agents.AgentProfile();

        var errors = string.Join(" ", options.Check());

        Assert.Contains("MaxReplans", errors, StringComparison.Ordinal);
        Assert.Contains("MaxDepth", errors, StringComparison.Ordinal);
        Assert.Contains("MaxModelCalls", errors, StringComparison.Ordinal);
        Assert.Contains("'bad name'", errors, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PlanningMode.Linear)]
    [InlineData(PlanningMode.Dag)]
    [InlineData(PlanningMode.Hierarchical)]
    [InlineData(PlanningMode.Adaptive)]
    public void UseMode_SetsTheSettingOfThatPattern(PlanningMode mode)
    {
        var options = new PlansmithOptions { MaxDepth = 0, MaxReplans = 0 }.UseMode(mode);

        switch (mode)
        {
            case PlanningMode.Linear: Assert.Equal(1, options.Execution.MaxParallelism); break;
            case PlanningMode.Dag: Assert.True(options.Execution.MaxParallelism >= 4); break;
            case PlanningMode.Hierarchical: Assert.Equal(2, options.MaxDepth); break;
            case PlanningMode.Adaptive: Assert.Equal(2, options.MaxReplans); break;
        }
    }

    [Fact]
    public async Task AgentExecutionSettings_GoOnTheWireTyped()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Think", agent = "analyst" } } }),
            _ => new ModelReply("ok"),
        });
        var options = TestAgents.Options(o => o.Agents["analyst"] = new Agents.AgentProfile { ExecutionSettings = { ["temperature"] = "0.5", ["max_tokens"] = "77" } });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), options);

        await agent.RunAsync("Think");

        var execute = Assert.Single(model.RequestsFor("step_execute"));
        Assert.Equal(0.5, execute.Json["temperature"]!.GetValue<double>());
        Assert.Equal(77, (execute.Json["max_completion_tokens"] ?? execute.Json["max_tokens"])!.GetValue<int>());
    }

    [Fact]
    public async Task TokenBudget_StopsNewStepsOnceSpent()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "One" }, new { id = "s2", description = "Two", dependencies = new[] { "s1" } } } }, inputTokens: 100, outputTokens: 20),
            "step_execute" => new ModelReply("done", InputTokens: 100, OutputTokens: 20),
            _ => new ModelReply("partial", InputTokens: 10, OutputTokens: 10),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.Budget.MaxTokens = 200));

        var result = await agent.RunAsync("Two parts");

        Assert.Equal(AgentRunStatus.BudgetExhausted, result.Status);
        Assert.Single(model.RequestsFor("step_execute"));
        Assert.Contains("limit of 200 tokens", result.Error, StringComparison.Ordinal);
        Assert.Equal("partial", result.Answer);
    }
}
