using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Telemetry;

public sealed class TelemetryTests
{
    // Other tests run in parallel and make Plansmith spans too: each test looks only at its own trace.
    private static readonly ActivitySource TestSource = new("Plansmith.Tests.Telemetry");

    [Fact]
    public async Task DagRun_ProducesTheExpectedSpanTreeWithGenAiNamesAndUsage()
    {
        var all = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(PlansmithTelemetry.SourceName, TestSource.Name).AddInMemoryExporter(all).Build();
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "a", description = "Add", tool = "math.add", arguments = new { a = 1, b = 2 } },
                    new { id = "b", description = "Add more", tool = "math.add", arguments = new { a = 3, b = 4 } },
                    new { id = "join", description = "Explain ${a} and ${b}", dependencies = new[] { "a", "b" } },
                },
            }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "step_execute" when r.ToolResults.Count == 0 => ModelReply.Call("text-upper", new { text = "sum" }),
            _ => new ModelReply("done"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.MaxReflectionRounds = 1; o.UseMode(PlanningMode.Dag); }));

        AgentRunResult result;
        ActivityTraceId trace;
        using (var test = TestSource.StartActivity("test"))
        {
            trace = test!.TraceId;
            result = await agent.RunAsync("Add and explain");
        }

        tracer.ForceFlush();
        var spans = all.Where(s => s.TraceId == trace && s.Source.Name == PlansmithTelemetry.SourceName).ToList();

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var root = Assert.Single(spans, s => s.DisplayName == "invoke_agent plansmith");
        Assert.Null(spans.FirstOrDefault(s => s.SpanId == root.ParentSpanId));
        Assert.Equal("invoke_agent", root.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(result.Usage.InputTokens, root.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal("completed", root.GetTagItem("plansmith.run.status"));

        Activity Child(Activity parent, string name) => Assert.Single(spans, s => s.ParentSpanId == parent.SpanId && s.DisplayName == name);
        var plan = Child(root, "plan");
        Assert.Equal("plan", plan.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(100L, Child(plan, "chat plan_create").GetTagItem("gen_ai.usage.input_tokens"));
        Child(Child(root, "reflect"), "chat plan_reflect");
        var stepA = Child(root, "execute_step a");
        Assert.Equal("execute_tool", Child(stepA, "execute_tool math.add").GetTagItem("gen_ai.operation.name"));
        Child(Child(root, "execute_step b"), "execute_tool math.add");
        var join = Child(root, "execute_step join");
        Assert.Equal("completed", join.GetTagItem("plansmith.step.status"));
        // The model's own tool call happens inside its chat call.
        Child(Child(join, "chat step_execute"), "execute_tool text.upper");
        Child(root, "chat synthesize");

        // a and b ran at the same time: their spans overlap.
        var stepB = Child(root, "execute_step b");
        Assert.True(stepA.StartTimeUtc < stepB.StartTimeUtc + stepB.Duration && stepB.StartTimeUtc < stepA.StartTimeUtc + stepA.Duration);
    }

    [Fact]
    public async Task FailedStep_MarksItsSpanAsAnError()
    {
        var all = new List<Activity>();
        using var tracer = Sdk.CreateTracerProviderBuilder().AddSource(PlansmithTelemetry.SourceName, TestSource.Name).AddInMemoryExporter(all).Build();
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Fail", tool = "text.fail", arguments = new { message = "nope" } } } })
            : new ModelReply("done"));
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxReplans = 0));

        ActivityTraceId trace;
        using (var test = TestSource.StartActivity("test"))
        {
            trace = test!.TraceId;
            await agent.RunAsync("Fail");
        }

        tracer.ForceFlush();
        var spans = all.Where(s => s.TraceId == trace).ToList();

        var step = Assert.Single(spans, s => s.DisplayName == "execute_step s1");
        Assert.Equal(ActivityStatusCode.Error, step.Status);
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(spans, s => s.DisplayName == "invoke_agent plansmith").Status);
    }
}
