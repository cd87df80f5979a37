using System.Diagnostics;
using System.Globalization;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Testing;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// N concurrent runs in one process against a simulated model with 100 ms latency: throughput,
/// p50/p99 run latency, errors, peak memory. Run: … -- scale [N …]
/// </summary>
internal static class ScaleRunner
{
    private static readonly TimeSpan ModelLatency = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan ToolLatency = TimeSpan.FromMilliseconds(20);

    public static async Task<int> RunAsync(string[] args)
    {
        var counts = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 10, 100, 1000];
        ThreadPool.SetMinThreads(Math.Max(64, Environment.ProcessorCount * 8), 64);
        var workload = new Workload("fan-out of 4 + join", [
            new WorkTask("a", ToolLatency, []), new WorkTask("b", ToolLatency, []), new WorkTask("c", ToolLatency, []), new WorkTask("d", ToolLatency, []),
            new WorkTask("join", ToolLatency, ["a", "b", "c", "d"])]);
        var ideal = ModelLatency + workload.CriticalPath + ModelLatency;
        Console.WriteLine($"Each run: plan ({ModelLatency.TotalMilliseconds:0} ms model) + fan-out of 4 and a join ({ToolLatency.TotalMilliseconds:0} ms tools) + answer ({ModelLatency.TotalMilliseconds:0} ms); ideal run latency {ideal.TotalMilliseconds:0} ms.");
        Console.WriteLine();
        Console.WriteLine("| concurrent runs | wall time | throughput (runs/s) | ideal throughput | % of ideal | p50 latency | p99 latency | errors | CPU per run | peak working set |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var n in counts)
        {
            var model = new ScriptedModel(async r =>
            {
                await Task.Delay(ModelLatency);
                return r.Prompt == "plan_create"
                    ? ModelReply.Json(new { steps = workload.Tasks.Select(t => new { id = t.Id, description = "Run " + t.Id, dependencies = t.Dependencies, tool = "work.run", arguments = new { task = t.Id } }) })
                    : new ModelReply("done");
            });
            using var http = new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) });
            var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scale-model", new Uri("http://scale.invalid/v1/"), "sk-bench", httpClient: http).Build();
            kernel.Plugins.AddFromObject(new ScenarioRunner.WorkPlugin(workload), "work");
            var options = new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 };
            using var prompts = new PromptLibrary();
            using var agent = new PlanningAgent(kernel, options, prompts);
            await agent.RunAsync("warm up");
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var before = process.PeakWorkingSet64;
            var cpuBefore = process.TotalProcessorTime;
            var latencies = new double[n];
            var errors = 0;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, n).Select(async i =>
            {
                var clock = Stopwatch.StartNew();
                var result = await agent.RunAsync($"run {i}");
                latencies[i] = clock.Elapsed.TotalMilliseconds;
                if (result.Status != AgentRunStatus.Completed)
                {
                    Interlocked.Increment(ref errors);
                }
            }));
            wall.Stop();
            process.Refresh();
            var cpuPerRun = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / n;
            Array.Sort(latencies);
            var throughput = n / wall.Elapsed.TotalSeconds;
            var idealThroughput = n / ideal.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {wall.Elapsed.TotalSeconds:0.00} s | {throughput:0.0} | {idealThroughput:0.0} | {100 * throughput / idealThroughput:0} % | {latencies[n / 2]:0} ms | {latencies[Math.Min(n - 1, (int)(n * 0.99))]:0} ms | {errors} | {cpuPerRun:0.00} ms | {Math.Max(before, process.PeakWorkingSet64) / (1 << 20)} MiB |"));
        }

        return 0;
    }
}
