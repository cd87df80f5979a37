using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Plugins.Hosting;
using Plansmith.Testing;

namespace Plansmith.Plugins.Tests.Faults;

/// <summary>
/// Hostile code in sandboxed steps (a fork bomb, a recursion bomb) while the model endpoint
/// misbehaves: the sandbox limits hold, the run ends completed or with a clear error, and no
/// sandboxed process outlives the run.
/// </summary>
public sealed class SandboxUnderFaultsTests
{
    public static TheoryData<string> Faults() =>
        ["none", "429", "500", "timeout", "malformed-body", "dropped-connection", "garbage-content", "empty-answer", "bad-tool-call"];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task HostileCode_UnderModelFaults_IsContainedAndReported(string fault)
    {
        var marker = "bomb" + Guid.NewGuid().ToString("N")[..8];
        var requests = 0;
        var firstStep = 0;
        // Each child becomes a sleeping process whose command line carries the marker, so a
        // survivor would be visible in /proc after the run.
        var forkBomb = $"import os\nchildren = 0\ntry:\n    while True:\n        if os.fork() == 0:\n            os.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(5) # {marker}'])\n        children += 1\nexcept OSError:\n    print('stopped after', children)";
        var model = new ScriptedModel(async r =>
        {
            var hit = Interlocked.Increment(ref requests) is 2 or 4;
            switch (fault)
            {
                case "429" when hit: return new ModelReply("slow down", Status: 429, RetryAfterSeconds: 0);
                case "500" when hit: return new ModelReply("boom", Status: 500);
                case "timeout" when hit: await Task.Delay(TimeSpan.FromSeconds(2)); break;
                case "malformed-body" when hit: return new ModelReply { RawBody = "{\"choices\": [" };
                case "dropped-connection" when hit: return new ModelReply { Drop = true };
                case "garbage-content" when hit: return new ModelReply("no json here");
                case "empty-answer" when hit: return new ModelReply(string.Empty);
                case "bad-tool-call" when r.Prompt == "step_execute" && Interlocked.Increment(ref firstStep) == 1:
                    return new ModelReply(ToolCalls: [new ToolCallReply("analyze-run_code", "{not json")]);
            }

            return r.Prompt switch
            {
                "route" => ModelReply.Json(new { plan = true, answer = "" }),
                "plan_create" => ModelReply.Json(new
                {
                    steps = new object[]
                    {
                        new { id = "fork", description = "Run it", tool = "analyze.run_code", arguments = new { language = "python", code = forkBomb } },
                        new { id = "deep", description = "Run that", tool = "analyze.run_code", arguments = new { language = "javascript", code = "function f(n) { return f(n + 1); } f(0);" } },
                        new { id = "report", description = "Report ${fork} and ${deep}", dependencies = new[] { "fork", "deep" } },
                    },
                }),
                "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
                _ => new ModelReply("contained"),
            };
        });
        await using var server = new LoopbackOpenAIServer(model);
        var http = ModelHttpClient.Create(new ModelResilienceOptions { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(5), AttemptTimeout = TimeSpan.FromMilliseconds(400) });
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, "sk-x", httpClient: http).Build();
        using var prompts = new PromptLibrary();
        var pluginOptions = new PlansmithPluginsOptions { EnableFetch = false };
        pluginOptions.Analyze.Limits.MaxProcesses = 8;
        using var resources = kernel.Plugins.AddPlansmithPlugins(pluginOptions, prompts);
        var options = new PlansmithOptions { MaxReflectionRounds = 1 };
        options.Execution.RetryBaseDelay = TimeSpan.Zero;
        using var agent = new PlanningAgent(kernel, options, prompts);

        var result = await agent.RunAsync("Run the code").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(result.Status is AgentRunStatus.Completed or AgentRunStatus.Failed, $"{fault}: {result.Status} {result.Error}");
        Assert.True(result.Status == AgentRunStatus.Completed || !string.IsNullOrWhiteSpace(result.Error));
        if (result["fork"].Output is { } fork)
        {
            // Children were created (each a marked sleeper), so the survivor check below has something to find.
            Assert.Matches("stopped after [1-9]", fork);
        }

        if (result["deep"].Output is { } deep)
        {
            Assert.Contains("\"limitHit\":\"Recursion\"", deep, StringComparison.Ordinal);
        }

        // No sandboxed process outlives the run (the kernel may take a moment to reap them).
        var survivors = await ProcessProbe.CountUntilZeroAsync(marker, TimeSpan.FromSeconds(5));
        Assert.Equal(0, survivors);
    }
}
