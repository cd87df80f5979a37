using System.ComponentModel;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Tests.Execution;

public sealed class LargePlanTests
{
    public sealed class NoopPlugin
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        [KernelFunction("noop"), Description("Does nothing and returns its tag.")]
        public string Noop([Description("A tag")] string tag)
        {
            Interlocked.Increment(ref _calls);
            return tag;
        }
    }

    [Fact]
    public async Task ExecuteAsync_TenThousandStepRandomDag_CompletesEveryStepOnce()
    {
        const int count = 10_000;
        var random = new Random(1234);
        var steps = new PlanStep[count];
        for (var i = 0; i < count; i++)
        {
            var dependencies = i == 0 ? [] : Enumerable.Range(0, random.Next(0, 4)).Select(_ => $"s{random.Next(Math.Max(0, i - 200), i)}").Distinct().ToArray();
            steps[i] = new PlanStep
            {
                Id = $"s{i}",
                Description = "no-op",
                Dependencies = dependencies,
                Tool = "bench.noop",
                Arguments = new Dictionary<string, JsonElement> { ["tag"] = JsonSerializer.SerializeToElement($"t{i}") },
            };
        }

        var plugin = new NoopPlugin();
        var kernel = new Kernel();
        kernel.Plugins.AddFromObject(plugin, "bench");
        var plan = new Plan(steps);
        Assert.Empty(new PlanValidator(new PlanValidationOptions { MaxSteps = count }).Check(plan, kernel.Plugins));
        var executor = new PlanExecutor(kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxParallelism = 8 });

        var result = await executor.ExecuteAsync(plan);

        Assert.Equal(PlanExecutionStatus.Completed, result.Status);
        Assert.Equal(count, plugin.Calls);
        Assert.All(result.Steps, s => Assert.Equal(1, s.Attempts));
        Assert.Equal("t9999", result["s9999"].Output);
    }
}
