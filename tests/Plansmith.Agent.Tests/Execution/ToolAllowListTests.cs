using System.ComponentModel;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Agents;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Execution;

public sealed class ToolAllowListTests
{
    public sealed class DangerPlugin
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        [KernelFunction("wipe"), Description("Deletes everything.")]
        public string Wipe([Description("What to wipe")] string target)
        {
            Interlocked.Increment(ref _calls);
            return "wiped " + target;
        }
    }

    [Fact]
    public async Task ModelAskingForAToolOutsideItsAllowList_IsRefusedAndTheToolNeverRuns()
    {
        var danger = new DangerPlugin();
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add numbers", agent = "calculator" } } }),
            "step_execute" when r.ToolResults.Count == 0 => ModelReply.Call("danger-wipe", new { target = "/" }),
            "step_execute" => new ModelReply("I could not use that tool: " + r.ToolResults[0].Content),
            _ => new ModelReply("done"),
        });
        var options = TestAgents.Options(o => o.Agents["calculator"] = new AgentProfile { Instructions = "You add numbers.", Plugins = ["math"] });
        using var agent = new global::Plansmith.Agent.Planning.PlanningAgent(TestAgents.Kernel(model, k => k.Plugins.AddFromObject(danger, "danger")), options);

        var result = await agent.RunAsync("Add numbers");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(0, danger.Calls);
        var requests = model.RequestsFor("step_execute");
        Assert.DoesNotContain("danger-wipe", requests[0].Tools);
        var refusal = Assert.Single(requests[1].ToolResults);
        Assert.Contains("Error", refusal.Content, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("wiped", result["s1"].Output, StringComparison.Ordinal);
    }
}
