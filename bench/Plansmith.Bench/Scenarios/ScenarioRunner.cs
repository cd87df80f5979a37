using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Testing;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// Plansmith (DAG and linear) against two SK function-calling baselines on the same workloads and
/// latencies, over a loopback OpenAI-compatible server that injects model latency and counts
/// requests and o200k tokens. Run: dotnet run -c Release --project bench/Plansmith.Bench -- scenarios
/// </summary>
internal static class ScenarioRunner
{
    private static readonly TimeSpan ModelLatency = TimeSpan.FromMilliseconds(250);
    private static readonly Tokenizer Tokens = TiktokenTokenizer.CreateForModel("gpt-4o");

    private sealed record Outcome(string Strategy, TimeSpan Makespan, int Calls, long InputTokens, long OutputTokens, bool Correct);

    public static async Task<int> RunAsync()
    {
        var random = new Random(2026);
        Workload[] workloads =
        [
            Workload.Chain(8, random), Workload.FanOut(8, random), Workload.Diamond(random), Workload.Tree(3, random),
            Workload.RandomDag(20, random), Workload.RandomDag(50, random), Workload.Research(4, random),
        ];
        Console.WriteLine($"Model latency {ModelLatency.TotalMilliseconds:0} ms per request; tool latencies 100–300 ms; tokens counted with o200k.");
        Console.WriteLine();
        Console.WriteLine("| workload | strategy | makespan | bound | ÷ bound | model calls | input tokens | output tokens |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var summary = new List<string>();

        // Warm-up: JIT, prompt loading and connection set-up are not what is measured.
        var warmUp = Workload.Diamond(new Random(1));
        await PlansmithAsync(warmUp, 16);
        await PlansmithAsync(warmUp, 1);
        await FunctionCallingAsync(warmUp, parallel: false);
        await FunctionCallingAsync(warmUp, parallel: true);
        foreach (var workload in workloads)
        {
            var bound = ModelLatency + workload.CriticalPath + ModelLatency;
            var outcomes = new List<Outcome>
            {
                await PlansmithAsync(workload, parallelism: 16),
                await PlansmithAsync(workload, parallelism: 1),
                await FunctionCallingAsync(workload, parallel: false),
                await FunctionCallingAsync(workload, parallel: true),
            };
            foreach (var o in outcomes)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {workload.Name} | {o.Strategy}{(o.Correct ? string.Empty : " (INCOMPLETE)")} | {o.Makespan.TotalSeconds:0.00} s | {bound.TotalSeconds:0.00} s | {o.Makespan / bound:0.00} | {o.Calls} | {o.InputTokens:N0} | {o.OutputTokens:N0} |"));
            }

            var dag = outcomes[0];
            summary.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {workload.Name} | {dag.Makespan / bound:0.00} | {outcomes[2].Makespan / dag.Makespan:0.00}× | {outcomes[3].Makespan / dag.Makespan:0.00}× | {(double)(outcomes[2].InputTokens + outcomes[2].OutputTokens) / (dag.InputTokens + dag.OutputTokens):0.0}× | {(double)(outcomes[3].InputTokens + outcomes[3].OutputTokens) / (dag.InputTokens + dag.OutputTokens):0.0}× |"));
        }

        Console.WriteLine();
        Console.WriteLine("| workload | Plansmith DAG ÷ bound | speed-up vs ReAct | speed-up vs SK parallel calls | tokens: ReAct ÷ Plansmith | tokens: parallel ÷ Plansmith |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        summary.ForEach(Console.WriteLine);
        return 0;
    }

    /// <summary>The tool every strategy calls: it waits for the task's latency and returns its output.</summary>
    public sealed class WorkPlugin(Workload workload)
    {
        private readonly HashSet<string> _done = [];

        public IReadOnlyCollection<string> Done
        {
            get
            {
                lock (_done)
                {
                    return [.. _done];
                }
            }
        }

        [KernelFunction("run"), Description("Runs one task of the workload and returns its result.")]
        public async Task<string> RunAsync([Description("The task id")] string task)
        {
            var work = workload.Tasks.FirstOrDefault(t => t.Id == task) ?? throw new ArgumentException($"no task {task}");
            await Task.Delay(work.Latency);
            lock (_done)
            {
                _done.Add(task);
            }

            return $"result of {task}: " + Prose(task, workload.OutputChars);
        }
    }

    private static readonly string[] Vocabulary =
    [
        "the", "framework", "routes", "requests", "to", "handlers", "with", "decorators", "and", "validates", "parameters", "using", "type", "hints",
        "middleware", "runs", "before", "each", "view", "returns", "a", "response", "object", "templates", "render", "HTML", "from", "context",
        "database", "sessions", "commit", "changes", "async", "support", "improves", "throughput", "under", "load", "benchmarks", "show", "latency",
    ];

    /// <summary>Deterministic text shaped like a real tool result (words, not one repeated letter, which tokenizes unrealistically well).</summary>
    private static string Prose(string seed, int chars)
    {
        var random = new Random(seed.GetHashCode(StringComparison.Ordinal) & 0x7fffffff);
        var text = new StringBuilder();
        while (text.Length < chars)
        {
            text.Append(Vocabulary[random.Next(Vocabulary.Length)]).Append(random.Next(12) == 0 ? ". " : " ");
        }

        return text.ToString(0, chars);
    }

    private static async Task<Outcome> PlansmithAsync(Workload workload, int parallelism)
    {
        var counter = new Counter();
        var model = new ScriptedModel(async r =>
        {
            await Task.Delay(ModelLatency);
            var reply = r.Prompt switch
            {
                "plan_create" => JsonSerializer.Serialize(new
                {
                    steps = workload.Tasks.Select(t => new { id = t.Id, description = "Run task " + t.Id, dependencies = t.Dependencies, tool = "work.run", arguments = new { task = t.Id } }),
                }),
                _ => "All tasks are done.",
            };
            return counter.Count(r, reply, null);
        });
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scenario-model", server.BaseAddress, "sk-bench", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        var plugin = new WorkPlugin(workload);
        kernel.Plugins.AddFromObject(plugin, "work");
        var options = new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0, MaxSteps = 100 };
        options.Execution.MaxParallelism = parallelism;
        using var agent = new PlanningAgent(kernel, options);
        var clock = Stopwatch.StartNew();
        var result = await agent.RunAsync("Run every task of the workload");
        clock.Stop();
        var correct = result.Status == AgentRunStatus.Completed && plugin.Done.Count == workload.Tasks.Count;
        return new Outcome(parallelism == 1 ? "Plansmith linear" : "Plansmith DAG", clock.Elapsed, counter.Calls, counter.Input, counter.Output, correct);
    }

    /// <summary>
    /// SK's own function calling: the model calls one ready tool per turn (ReAct), or every ready
    /// tool in one turn with parallel and concurrent invocation on.
    /// </summary>
    private static async Task<Outcome> FunctionCallingAsync(Workload workload, bool parallel)
    {
        var counter = new Counter();
        var model = new ScriptedModel(async r =>
        {
            await Task.Delay(ModelLatency);
            var done = r.ToolResults.Select(t => t.ToolCallId!["call_".Length..]).ToHashSet();
            var called = r.Json["messages"]!.AsArray()
                .SelectMany(m => m!["tool_calls"]?.AsArray() ?? [])
                .Select(c => c!["id"]!.GetValue<string>()["call_".Length..])
                .ToHashSet();
            var ready = workload.Tasks.Where(t => !called.Contains(t.Id) && t.Dependencies.All(done.Contains)).Select(t => t.Id).ToList();
            if (ready.Count == 0)
            {
                return counter.Count(r, "All tasks are done.", null);
            }

            var calls = parallel ? ready : ready.Take(1).ToList();
            return counter.Count(r, null, calls);
        }, toolCallIds: call => "call_" + JsonDocument.Parse(call.Arguments).RootElement.GetProperty("task").GetString());
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scenario-model", server.BaseAddress, "sk-bench", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        var plugin = new WorkPlugin(workload);
        kernel.Plugins.AddFromObject(plugin, "work");
        var settings = new OpenAIPromptExecutionSettings
        {
            FunctionChoiceBehavior = parallel
                ? FunctionChoiceBehavior.Auto(options: new FunctionChoiceBehaviorOptions { AllowParallelCalls = true, AllowConcurrentInvocation = true })
                : FunctionChoiceBehavior.Auto(),
        };
        var tasks = string.Join("\n", workload.Tasks.Select(t => $"- {t.Id}" + (t.Dependencies.Length == 0 ? string.Empty : $" (after {string.Join(", ", t.Dependencies)})")));
        var clock = Stopwatch.StartNew();
        await kernel.InvokePromptAsync($"Run every task below with the work tool, each after the tasks it depends on, then say when all are done.\n{tasks}", new KernelArguments(settings));
        clock.Stop();
        return new Outcome(parallel ? "SK parallel calls" : "ReAct (SK Auto, one tool per turn)", clock.Elapsed, counter.Calls, counter.Input, counter.Output, plugin.Done.Count == workload.Tasks.Count);
    }

    /// <summary>Counts requests and o200k tokens: the prompt (every message and the tool definitions) and the reply.</summary>
    private sealed class Counter
    {
        private int _calls;
        private long _input;
        private long _output;

        public int Calls => Volatile.Read(ref _calls);

        public long Input => Interlocked.Read(ref _input);

        public long Output => Interlocked.Read(ref _output);

        public ModelReply Count(ModelRequest request, string? text, IReadOnlyList<string>? calls)
        {
            var prompt = new StringBuilder();
            foreach (var message in request.Json["messages"]!.AsArray())
            {
                prompt.Append(message!.ToJsonString()).Append('\n');
            }

            if (request.Json["tools"] is { } tools)
            {
                prompt.Append(tools.ToJsonString());
            }

            var toolCalls = calls?.Select(c => new ToolCallReply("work-run", JsonSerializer.Serialize(new { task = c }))).ToList();
            var completion = text ?? string.Join("\n", toolCalls!.Select(c => c.Name + c.Arguments));
            var input = Tokens.CountTokens(prompt.ToString());
            var output = Tokens.CountTokens(completion);
            Interlocked.Increment(ref _calls);
            Interlocked.Add(ref _input, input);
            Interlocked.Add(ref _output, output);
            return new ModelReply(text, toolCalls, input, output);
        }
    }
}
