using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Execution;

/// <summary>A chat step whose tools all failed is not a success because the model passed the error on.</summary>
public sealed class ChatStepToolFailureTests
{
    private static ModelReply Plan() => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Look up the word hello", dependencies = Array.Empty<string>() } } });

    [Fact]
    public async Task RunAsync_EveryToolCallFailsAndTheModelRelaysTheError_StepFailsWithTheToolError()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(),
            "step_execute" when r.ToolResults.Count == 0 => new ModelReply(ToolCalls: [new ToolCallReply("text-fail", "{\"message\":\"index offline\"}"), new ToolCallReply("text-fail", "{\"message\":\"index still offline\"}")]),
            "step_execute" => new ModelReply("Look up the word hello: " + string.Join("\n", r.ToolResults.Select(t => t.Content))),
            _ => new ModelReply("No answer."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Execution.MaxRetries = 1; o.MaxReplans = 0; }));

        var result = await agent.RunAsync("What does hello mean?");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Contains("every tool call it made failed", result["s1"].Error, StringComparison.Ordinal);
        Assert.Contains("index still offline", result["s1"].Error, StringComparison.Ordinal);

        // A tool failure may be passing: the step is retried like any other failed attempt.
        Assert.Single(result.Events.OfType<StepRetrying>(), e => e.StepId == "s1");
        Assert.Equal(2, result["s1"].Attempts);
        var toolResults = model.RequestsFor("step_execute").SelectMany(r => r.ToolResults).ToList();
        Assert.Equal(4, toolResults.Count);
        Assert.All(toolResults, t => Assert.StartsWith("Error: the tool text.fail failed: index", t.Content, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_ToolFailsButTheModelAnswersInItsOwnWords_StepCompletes()
    {
        const string Answer = "The lookup tool was unavailable, but hello is a common English greeting used when meeting someone or starting a conversation.";
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(),
            "step_execute" when r.ToolResults.Count == 0 => ModelReply.Call("text-fail", new { message = "index offline" }),
            "step_execute" => new ModelReply(Answer),
            _ => new ModelReply("Hello is a greeting."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("What does hello mean?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(Answer, result["s1"].Output);
    }

    [Fact]
    public async Task RunAsync_OneToolCallFailsAndAnotherSucceeds_StepCompletes()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(),
            "step_execute" when r.ToolResults.Count == 0 => new ModelReply(ToolCalls: [new ToolCallReply("text-fail", "{\"message\":\"index offline\"}"), new ToolCallReply("text-upper", "{\"text\":\"hello\"}")]),
            "step_execute" => new ModelReply(string.Join("\n", r.ToolResults.Select(t => t.Content))),
            _ => new ModelReply("HELLO"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Shout hello");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Contains("HELLO", result["s1"].Output, StringComparison.Ordinal);
    }
}
