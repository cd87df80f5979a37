using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>The router off the critical path: the plan is already being written while the router decides.</summary>
public sealed class PlanWhileRoutingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static string PlanJson() => System.Text.Json.JsonSerializer.Serialize(new
    {
        steps = new[] { new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 1, b = 2 } } },
    });

    [Fact]
    public async Task RunAsync_GoalThatNeedsAPlan_PlanCallStartsBeforeTheRouterAnswers()
    {
        var planRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedModel(async r =>
        {
            switch (r.Prompt)
            {
                case "route":
                    // The router answers only once the plan call is out: run one after the other, this never ends.
                    await planRequested.Task.WaitAsync(Patience);
                    return ModelReply.Json(new { plan = true, answer = "" });
                case "plan_create":
                    planRequested.TrySetResult();
                    return new ModelReply(PlanJson());
                default:
                    return new ModelReply("Three.");
            }
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseRouter = true));

        var result = await agent.RunAsync("Add 1 and 2 with the tool").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Single(model.RequestsFor("plan_create"));
        Assert.Equal("synthesize", model.Requests[^1].Prompt);

        // The route still comes first on the event stream.
        var kinds = result.Events.Select(e => e.GetType().Name).ToList();
        Assert.True(kinds.IndexOf(nameof(RouteDecided)) < kinds.IndexOf(nameof(PlanCreated)));
    }

    [Fact]
    public async Task RunAsync_SimpleRequest_AnswersAndAbandonsThePlanBeingWritten()
    {
        var model = new ScriptedModel(async r =>
        {
            if (r.Prompt == "route")
            {
                return ModelReply.Json(new { plan = false, answer = "Hello! How can I help?" });
            }

            // A plan that would arrive late, and would be rejected if anyone read it.
            await Task.Yield();
            return new ModelReply("not a plan at all");
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseRouter = true));

        var result = await agent.RunAsync("hi").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Answered, result.Status);
        Assert.Equal("Hello! How can I help?", result.Answer);
        Assert.Null(result.Plan);
        Assert.Single(model.RequestsFor("route"));
        Assert.DoesNotContain(model.Requests, r => r.Prompt is "synthesize" or "step_execute");
        Assert.DoesNotContain(result.Events, e => e is PlanCreated or PlanRejected);
        Assert.False(Assert.Single(result.Events.OfType<RouteDecided>()).NeedsPlan);
    }
}
