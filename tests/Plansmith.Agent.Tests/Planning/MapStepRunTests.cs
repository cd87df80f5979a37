using System.Text.Json;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>Compact plans with map steps, planned by a scripted model and run by the agent.</summary>
public sealed class MapStepRunTests
{
    /// <summary>The form the planner prompt asks for: step lines inside a JSON object, as JSON mode requires.</summary>
    private const string MapPlan = """
        {"steps": [
          "s1 = text.search(query in [\"flask\", \"django\", \"fastapi\"], top=1)",
          "s2 = text.echo(text=\"${s1[1].items[0].title}\")",
          "s3 = text.echo(text='${s1_3.items[0].title}')",
          "s4 = 'Compare ${s1}'"
        ]}
        """;

    [Fact]
    public async Task RunAsync_MapStep_RunsEveryItemAndReferencesReachTheMapAndOneItem()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => new ModelReply(MapPlan),
            "step_execute" => new ModelReply("compared"),
            _ => new ModelReply("done"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseMode(PlanningMode.Dag)));

        var result = await agent.RunAsync("Compare the routing of three frameworks");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["s1_1", "s1_2", "s1_3", "s1", "s2", "s3", "s4"], result.Plan!.Steps.Select(s => s.Id));
        using var collected = JsonDocument.Parse(result["s1"].Output!);
        Assert.Equal(["flask 1", "django 1", "fastapi 1"], collected.RootElement.EnumerateArray().Select(i => i.GetProperty("items")[0].GetProperty("title").GetString()));
        Assert.Equal("django 1", result["s2"].Output);
        Assert.Equal("fastapi 1", result["s3"].Output);
        Assert.Equal(["s1"], result.Plan.FindStep("s2")!.Dependencies);
        Assert.Equal(["s1_3"], result.Plan.FindStep("s3")!.Dependencies);
        var execute = Assert.Single(model.RequestsFor("step_execute"));
        Assert.Contains("Compare [{\"items\":[{\"title\":\"flask 1\"", execute.User, StringComparison.Ordinal);
        var answer = model.RequestsFor("synthesize").Single().User;
        Assert.Contains("The results of s1_1…s1_3 together, as one JSON array.", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BadMaps_GoBackToThePlannerWithProblemsNamingTheMapStep()
    {
        var attempts = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Interlocked.Increment(ref attempts) switch
            {
                1 => new ModelReply("""{"steps": [{"id": "s1", "t": "text.search", "map": {"query": []}}]}"""),
                2 => new ModelReply("""s1 = text.serch(query in ["a", "b"])"""),
                _ => new ModelReply("""s1 = text.search(query in ["a", "b"])"""),
            },
            _ => new ModelReply("done"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Search for a and b");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var creates = model.RequestsFor("plan_create");
        Assert.Equal(3, creates.Count);
        Assert.Contains("step 's1': maps argument 'query' over an empty list", creates[1].User, StringComparison.Ordinal);
        Assert.Contains("step 's1': items s1_1, s1_2: uses tool 'text.serch', which does not exist. Did you mean 'text.search'?", creates[2].User, StringComparison.Ordinal);
        Assert.Equal(
            [PlanProblemCode.InvalidMap, PlanProblemCode.UnknownTool],
            result.Events.OfType<PlanRejected>().Select(e => Assert.Single(e.Problems).Code));
        using var collected = JsonDocument.Parse(result["s1"].Output!);
        Assert.Equal(2, collected.RootElement.GetArrayLength());
    }
}
