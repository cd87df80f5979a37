using Microsoft.Data.Sqlite;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Testing;
using Xunit.Abstractions;

namespace Plansmith.Agent.Tests.Faults;

/// <summary>
/// Every fault the loopback server can inject, against every planning pattern, over SK's real
/// OpenAI connector and the resilient HTTP client. Each run must end completed or with a clear
/// error, never an unhandled exception, and every completed step must be in the run record.
/// </summary>
public sealed class FaultMatrixTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-faults-").FullName;

    public static TheoryData<string, string> Matrix()
    {
        var data = new TheoryData<string, string>();
        foreach (var fault in Faults)
        {
            foreach (var pattern in new[] { "linear", "dag", "hierarchical", "adaptive" })
            {
                data.Add(fault, pattern);
            }
        }

        return data;
    }

    private static readonly string[] Faults =
    [
        "429", "500", "503-persistent", "timeout", "malformed-body", "dropped-connection",
        "garbage-content", "empty-answer", "bad-tool-call", "cyclic-plan", "huge-plan", "empty-plan", "truncated-stream",
    ];

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Run_UnderFault_EndsCompletedOrWithAClearErrorAndLosesNoResult(string fault, string pattern)
    {
        var requests = 0;
        var firstPlan = 0;
        var firstStep = 0;
        var model = new ScriptedModel(async r =>
        {
            var n = Interlocked.Increment(ref requests);
            var hit = n is 2 or 4;
            switch (fault)
            {
                case "429" when hit: return new ModelReply("slow down", Status: 429, RetryAfterSeconds: 0);
                case "500" when hit: return new ModelReply("boom", Status: 500);
                case "503-persistent" when n > 1: return new ModelReply("down", Status: 503);
                case "timeout" when hit: await Task.Delay(TimeSpan.FromSeconds(2)); break;
                case "malformed-body" when hit: return new ModelReply { RawBody = "{\"choices\": [ {\"message\": " };
                case "dropped-connection" when hit: return new ModelReply { Drop = true };
                case "garbage-content" when hit: return new ModelReply("I will not answer in the format you asked for.");
                case "empty-answer" when hit: return new ModelReply(string.Empty);
                case "bad-tool-call" when r.Prompt == "step_execute" && Interlocked.Increment(ref firstStep) == 1:
                    return new ModelReply(ToolCalls: [new ToolCallReply("nope-missing", "{}"), new ToolCallReply("math-add", "{not json")]);
                case "cyclic-plan" when r.Prompt == "plan_create" && Interlocked.Increment(ref firstPlan) == 1:
                    return ModelReply.Json(new { steps = new[] { new { id = "a", description = "A", dependencies = new[] { "b" } }, new { id = "b", description = "B", dependencies = new[] { "a" } } } });
                case "huge-plan" when r.Prompt == "plan_create" && Interlocked.Increment(ref firstPlan) == 1:
                    return ModelReply.Json(new { steps = Enumerable.Range(1, 1000).Select(i => new { id = $"s{i}", description = "tiny" }) });
                case "truncated-stream" when r.Stream:
                    return new ModelReply { RawBody = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The ans" };
                case "empty-plan" when r.Prompt == "plan_create" && Interlocked.Increment(ref firstPlan) == 1:
                    return ModelReply.Json(new { steps = Array.Empty<object>() });
            }

            return Normal(r, pattern);
        });
        await using var server = new LoopbackOpenAIServer(model);
        var http = ModelHttpClient.Create(new ModelResilienceOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5), AttemptTimeout = TimeSpan.FromMilliseconds(400), TotalTimeout = TimeSpan.FromSeconds(10) });
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, "sk-fault", httpClient: http).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        kernel.Plugins.AddFromType<TextPlugin>("text");
        var options = new PlansmithOptions { MaxReflectionRounds = 1, MaxReplans = 1, MaxDepth = 1 };
        options.Execution.MaxRetries = 1;
        options.Execution.RetryBaseDelay = TimeSpan.Zero;
        options.Execution.MaxParallelism = pattern == "linear" ? 1 : 4;
        var store = new SqliteRunStore(Path.Combine(_dir, "runs.db"));
        using var agent = new PlanningAgent(kernel, options, runStore: store);

        var result = await agent.RunAsync($"Goal under {fault}").WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"MATRIX {fault}/{pattern}: {result.Status}, {requests} requests{(result.Error is null ? string.Empty : " — " + result.Error)}");

        Assert.Contains(result.Status, new[] { AgentRunStatus.Completed, AgentRunStatus.Failed, AgentRunStatus.Rejected, AgentRunStatus.BudgetExhausted });
        if (result.Status != AgentRunStatus.Completed)
        {
            Assert.False(string.IsNullOrWhiteSpace(result.Error), $"{fault}/{pattern} ended {result.Status} without saying why");
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }

        var stored = await store.GetRunAsync(result.RunId!);
        foreach (var step in result.Steps.Where(s => s.Status == StepStatus.Completed))
        {
            var record = stored!.Steps.SingleOrDefault(s => s.StepId == step.StepId);
            Assert.True(record is { Status: StepStatus.Completed } && record.Output == step.Output, $"{fault}/{pattern}: completed step {step.StepId} is missing from the run record");
        }

        if (fault is "truncated-stream")
        {
            // The cut-off answer stream is asked again without streaming: the run still answers.
            Assert.Equal("The answer.", result.Answer);
        }

        if (fault is "429" or "500" or "timeout" or "dropped-connection" or "bad-tool-call" or "cyclic-plan" or "huge-plan" or "empty-plan" or "truncated-stream")
        {
            // Faults that retries or repair absorb: the run must still finish.
            Assert.True(result.Status == AgentRunStatus.Completed, $"{fault}/{pattern} ended {result.Status}: {result.Error}");
        }
    }

    private static ModelReply Normal(ModelRequest r, string pattern) => r.Prompt switch
    {
        "route" => ModelReply.Json(new { plan = true, answer = "" }),
        "plan_create" => pattern switch
        {
            "linear" => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }), Step("s2", "Explain ${s1}", ["s1"]), Step("s3", "Conclude ${s2}", ["s2"])),
            "dag" => Plan(Step("s1", "Part one"), Step("s2", "Part two"), Step("s3", "Part three"), Step("s4", "Join ${s1} ${s2} ${s3}", ["s1", "s2", "s3"])),
            "hierarchical" => Plan(Step("s1", "A large part", kind: "subgoal"), Step("s2", "Use ${s1}", ["s1"])),
            _ => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }), Step("s2", "Fetch", tool: "text.fail", arguments: new { message = "source offline" }), Step("s3", "Use ${s2}", ["s2"])),
        },
        "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
        "plan_decompose" => ModelReply.Json(new { atomic = false, steps = new[] { Step("c1", "Add", tool: "math.add", arguments: new { a = 2, b = 2 }), Step("c2", "Explain ${c1}", ["c1"]) } }),
        "plan_revise" => Plan(Step("r1", "Use ${s1} instead", ["s1"])),
        "step_verify" => ModelReply.Json(new { passed = true, reason = "fine" }),
        "step_execute" => new ModelReply("ok"),
        _ => new ModelReply("The answer."),
    };

    private static ModelReply Plan(params object[] steps) => ModelReply.Json(new { steps });

    private static object Step(string id, string description, string[]? dependencies = null, string? tool = null, object? arguments = null, string kind = "action") =>
        new { id, description, dependencies = dependencies ?? [], tool, arguments, kind };
}
