using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.Connectors.OpenAI;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Testing;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// Plansmith against two SK function-calling baselines on the same workloads and latencies, over a
/// loopback OpenAI-compatible server (127.0.0.1, port 0) that counts requests and o200k tokens and
/// answers as a <see cref="LatencyModel"/> says: a fixed 250 ms per request (the original table),
/// or time to first token + prompt tokens ÷ prefill rate + reply tokens ÷ decode rate, streamed at
/// the decode rate to a client that streams, for three settings (fast hosted, slow hosted, local).
/// Run: dotnet run -c Release --project bench/Plansmith.Bench -- scenarios [--latency
/// fixed|fast|slow|local|realistic|all] [--time-scale F]. The default runs all four settings
/// (about 7 minutes on 2 cores): the fixed one in real time, the realistic ones at 1/5 speed — every model
/// delay and tool duration × 0.2, makespans divided by 0.2 again, so the tables are in real units.
/// <c>--time-scale</c> sets one factor for every setting.
/// </summary>
internal static class ScenarioRunner
{
    private const string Answer = "All tasks are done.";

    private enum Strategy
    {
        PlansmithDag,
        PlansmithLinear,
        PlansmithDefault,
        ReAct,
        ParallelCalls,
    }

    private static readonly Strategy[] Strategies = Enum.GetValues<Strategy>();

    private static string Label(Strategy strategy) => strategy switch
    {
        Strategy.PlansmithDag => "Plansmith DAG",
        Strategy.PlansmithLinear => "Plansmith linear",
        Strategy.PlansmithDefault => "Plansmith default (router, reflection, parallelism 4)",
        Strategy.ReAct => "ReAct (SK Auto, one tool per turn)",
        _ => "SK parallel calls",
    };

    private sealed record Outcome(Strategy Strategy, TimeSpan Makespan, int Calls, long InputTokens, long OutputTokens, bool Correct, IReadOnlyList<SimulatedModel.Call> Log)
    {
        public long Tokens => InputTokens + OutputTokens;

        public SimulatedModel.Call? Last(string prompt) => Log.LastOrDefault(c => c.Prompt == prompt);
    }

    /// <summary>What the planner writes for a workload: the plan and, per step, the output tokens written once the step's object has closed.</summary>
    private sealed record PlanText(string Text, IReadOnlyDictionary<string, int> WrittenBy);

    private sealed record Result(Workload Workload, LatencyModel Latency, TimeSpan Bound, IReadOnlyDictionary<Strategy, Outcome> Outcomes)
    {
        public Outcome this[Strategy strategy] => Outcomes[strategy];
    }

    private static Workload[] Workloads()
    {
        var random = new Random(2026);
        return
        [
            Workload.Chain(8, random), Workload.FanOut(8, random), Workload.Diamond(random), Workload.Tree(3, random),
            Workload.RandomDag(20, random), Workload.RandomDag(50, random), Workload.Research(4, random),
        ];
    }

    /// <summary>Whether the scripted planner writes the first release's full form (<c>--plan full</c>) rather than the compact one.</summary>
    private static bool FullPlans { get; set; }

    public static async Task<int> RunAsync(string[] args)
    {
        if (ScenarioOptions.Parse(args, out var error) is not { } options)
        {
            Console.Error.WriteLine(error);
            return 2;
        }

        FullPlans = options.FullPlans;
        var total = Stopwatch.StartNew();

        // Warm-up: JIT, prompt loading and connection set-up are not what is measured.
        var warmUp = Workload.Diamond(new Random(1));
        foreach (var strategy in Strategies)
        {
            await RunAsync(warmUp, strategy, LatencyModel.Fixed, 0.1);
        }

        var results = new List<Result>();
        foreach (var latency in options.Latencies)
        {
            var scale = options.TimeScaleFor(latency);
            var setting = Stopwatch.StartNew();
            foreach (var workload in Workloads())
            {
                var outcomes = new Dictionary<Strategy, Outcome>();
                foreach (var strategy in Strategies)
                {
                    outcomes[strategy] = await RunAsync(workload, strategy, latency, scale);
                }

                var plan = Plan(workload, FullPlans);
                results.Add(new Result(workload, latency, Bound(workload, latency, plan, outcomes[Strategy.PlansmithDag]), outcomes));
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{latency.Name}: {workload.Name} done ({setting.Elapsed.TotalSeconds:0} s into the setting)"));
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{latency.Name}: {setting.Elapsed.TotalSeconds:0} s of wall time at time scale {scale:0.###}"));
        }

        Console.WriteLine("Tool latencies 100–300 ms (seeded); tokens counted with o200k. Time scale: "
            + string.Join("; ", options.Latencies.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Name} {options.TimeScaleFor(l):0.###}")))
            + " (delays run at that factor; every time below is in unscaled units).");
        foreach (var latency in options.Latencies.Where(l => l.IsFixed))
        {
            PrintFixed(latency, [.. results.Where(r => r.Latency == latency)]);
        }

        var realistic = options.Latencies.Where(l => !l.IsFixed).ToList();
        if (realistic.Count > 0)
        {
            PrintRealistic(realistic, [.. results.Where(r => !r.Latency.IsFixed)]);
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Run time: {total.Elapsed.TotalMinutes:0.0} min of wall time."));
        return results.All(r => r.Outcomes.Values.All(o => o.Correct)) ? 0 : 1;
    }

    /// <summary>
    /// The physical limit of a plan under this model: the plan call's time to first token and
    /// prefill, then each step starts once it has been written (its last token ÷ decode rate) and
    /// its dependencies are done, then the answer call. Token counts are the DAG run's own.
    /// </summary>
    private static TimeSpan Bound(Workload workload, LatencyModel latency, PlanText plan, Outcome dag)
    {
        var planCall = dag.Last(PromptNames.PlanCreate);
        var answerCall = dag.Last(PromptNames.Synthesize);
        return latency.BeforeFirstToken(planCall?.InputTokens ?? 0)
            + workload.FinishWhenReleased(t => latency.Decode(plan.WrittenBy[t.Id]))
            + latency.Call(answerCall?.InputTokens ?? 0, answerCall?.OutputTokens ?? 0);
    }

    private static void PrintFixed(LatencyModel latency, IReadOnlyList<Result> results)
    {
        Console.WriteLine();
        Console.WriteLine($"Model: {latency.Describe()}. Bound: one model call to plan + the longest chain of tool latencies + one model call to answer.");
        Console.WriteLine();
        Console.WriteLine("| workload | strategy | makespan | bound | ÷ bound | model calls | input tokens | output tokens |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var result in results)
        {
            foreach (var o in result.Outcomes.Values)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {result.Workload.Name} | {Label(o.Strategy)}{Incomplete(o)} | {o.Makespan.TotalSeconds:0.00} s | {result.Bound.TotalSeconds:0.00} s | {o.Makespan / result.Bound:0.00} | {o.Calls} | {o.InputTokens:N0} | {o.OutputTokens:N0} |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| workload | Plansmith DAG ÷ bound | speed-up vs ReAct | speed-up vs SK parallel calls | tokens: ReAct ÷ Plansmith | tokens: parallel ÷ Plansmith |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var dag = r[Strategy.PlansmithDag];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Workload.Name} | {dag.Makespan / r.Bound:0.00} | {r[Strategy.ReAct].Makespan / dag.Makespan:0.00}× | {r[Strategy.ParallelCalls].Makespan / dag.Makespan:0.00}× | {(double)r[Strategy.ReAct].Tokens / dag.Tokens:0.0}× | {(double)r[Strategy.ParallelCalls].Tokens / dag.Tokens:0.0}× |"));
        }
    }

    private static void PrintRealistic(IReadOnlyList<LatencyModel> latencies, IReadOnlyList<Result> results)
    {
        Console.WriteLine();
        Console.WriteLine("Models: " + string.Join("; ", latencies.Select(l => l.Describe())) + ".");
        Console.WriteLine("Bound: the plan call's time to first token and prefill, each step starting once written (its last plan token ÷ decode rate) and its dependencies done, then the answer call.");
        Console.WriteLine("Calls and tokens do not depend on the setting (where they differ, the settings' values are listed in order).");
        Console.WriteLine();
        Console.WriteLine("| workload | strategy | model calls | input tokens | output tokens | " + string.Join(" | ", latencies.Select(l => $"{l.Name} | ÷ bound")) + " |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | " + string.Join(" | ", latencies.Select(_ => "---: | ---:")) + " |");
        foreach (var group in results.GroupBy(r => r.Workload.Name))
        {
            var row = latencies.Select(l => group.Single(r => r.Latency == l)).ToList();
            Console.WriteLine($"| {group.Key} | bound | | | | " + string.Join(" | ", row.Select(r => Seconds(r.Bound) + " | 1.00")) + " |");
            foreach (var strategy in Strategies)
            {
                var outcomes = row.Select(r => r[strategy]).ToList();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {group.Key} | {Label(strategy)}{string.Concat(outcomes.Select(Incomplete).Distinct())} | {Same(outcomes, o => o.Calls)} | {Same(outcomes, o => o.InputTokens)} | {Same(outcomes, o => o.OutputTokens)} | ")
                    + string.Join(" | ", row.Select(r => string.Create(CultureInfo.InvariantCulture, $"{Seconds(r[strategy].Makespan)} | {r[strategy].Makespan / r.Bound:0.00}"))) + " |");
            }
        }

        Console.WriteLine();
        Console.WriteLine("Speed-ups: the baseline's makespan ÷ Plansmith's (above 1: Plansmith is faster).");
        Console.WriteLine();
        Console.WriteLine("| workload | setting | DAG ÷ bound | DAG vs ReAct | DAG vs SK parallel calls | default vs ReAct | default vs SK parallel calls | default ÷ DAG |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        var workloads = Workloads().Select(w => w.Name).ToList();
        foreach (var r in results.OrderBy(r => workloads.IndexOf(r.Workload.Name)).ThenBy(r => latencies.ToList().IndexOf(r.Latency)))
        {
            var dag = r[Strategy.PlansmithDag].Makespan;
            var standard = r[Strategy.PlansmithDefault].Makespan;
            var react = r[Strategy.ReAct].Makespan;
            var parallel = r[Strategy.ParallelCalls].Makespan;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Workload.Name} | {r.Latency.Name} | {dag / r.Bound:0.00} | {react / dag:0.00}× | {parallel / dag:0.00}× | {react / standard:0.00}× | {parallel / standard:0.00}× | {standard / dag:0.00} |"));
        }

        // Where the time before the first step goes, from the token counts (no timing noise): the
        // plan written whole, and with the default settings a router call before it and a
        // reflection call after it.
        Console.WriteLine();
        Console.WriteLine("Before the first step can start (model time from the token counts): DAG = the plan call; default = router + plan + reflection calls.");
        Console.WriteLine();
        Console.WriteLine("| workload | tool steps | plan output tokens | per tool step | " + string.Join(" | ", latencies.Select(l => $"{l.Name}: writing the plan | {l.Name}: DAG | {l.Name}: default")) + " |");
        Console.WriteLine("| --- | ---: | ---: | ---: | " + string.Join(" | ", latencies.Select(_ => "---: | ---: | ---:")) + " |");
        long planTokens = 0;
        var steps = 0;
        foreach (var group in results.GroupBy(r => r.Workload.Name))
        {
            var first = group.First();
            var plan = first[Strategy.PlansmithDag].Last(PromptNames.PlanCreate);
            var written = plan?.OutputTokens ?? 0;
            planTokens += written;
            steps += first.Workload.Tasks.Count;
            var cells = latencies.Select(l =>
            {
                var r = group.Single(x => x.Latency == l);
                var standard = r[Strategy.PlansmithDefault];
                return $"{Seconds(l.Decode(written))} | {Seconds(Calls(l, r[Strategy.PlansmithDag], PromptNames.PlanCreate))} | {Seconds(Calls(l, standard, PromptNames.Route, PromptNames.PlanCreate, PromptNames.PlanReflect))}";
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {group.Key} | {first.Workload.Tasks.Count} | {written:N0} | {(double)written / first.Workload.Tasks.Count:0.0} | ") + string.Join(" | ", cells) + " |");
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Mean plan output tokens per tool step: {(double)planTokens / steps:0.0} ({planTokens:N0} tokens for {steps} steps over the seven workloads)."));
    }

    /// <summary>The model time of the run's first call of each of these prompts, one after another.</summary>
    private static TimeSpan Calls(LatencyModel latency, Outcome outcome, params string[] prompts) =>
        prompts.Select(p => outcome.Log.FirstOrDefault(c => c.Prompt == p)).Where(c => c is not null)
            .Aggregate(TimeSpan.Zero, (sum, c) => sum + latency.Call(c!.InputTokens, c.OutputTokens));

    private static string Incomplete(Outcome outcome) => outcome.Correct ? string.Empty : " (INCOMPLETE)";

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    private static string Same(IEnumerable<Outcome> outcomes, Func<Outcome, long> value) =>
        string.Join(" / ", outcomes.Select(value).Distinct().Select(v => v.ToString("N0", CultureInfo.InvariantCulture)));

    /// <summary>
    /// The plan the scripted planner writes, and where each task is written in its tokens: the
    /// compact form the planner prompt asks for (one line per step inside "steps", tasks with the
    /// same prerequisites as one map step), or with <c>--plan full</c> the form of the first
    /// release (id, description, dependencies, tool, arguments as a JSON object per step).
    /// </summary>
    private static PlanText Plan(Workload workload, bool full)
    {
        return full ? FullPlan(workload) : CompactPlan(workload);
    }

    private static PlanText CompactPlan(Workload workload)
    {
        var groups = PlanTokensRunner.MapGroups(workload);
        var lines = PlanTokensRunner.Lines(workload, groups);
        var text = new StringBuilder("{\"steps\":[");
        var ends = new List<int>();
        foreach (var line in lines)
        {
            if (ends.Count > 0)
            {
                text.Append(',');
            }

            text.Append(JsonSerializer.Serialize(line, PlanTokensRunner.AsWritten));
            ends.Add(text.Length);
        }

        var plan = text.Append("]}").ToString();
        var written = SimulatedModel.TokensThrough(plan, ends);
        var writtenBy = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var name = lines[i][..lines[i].IndexOf(' ', StringComparison.Ordinal)];
            var group = groups.FindIndex(g => $"g{groups.IndexOf(g) + 1}" == name);
            foreach (var task in group >= 0 ? groups[group].Select(t => t.Id) : [name])
            {
                writtenBy[task] = written[i];
            }
        }

        return new PlanText(plan, writtenBy);
    }

    private static PlanText FullPlan(Workload workload)
    {
        var text = new StringBuilder("{\"steps\":[");
        var ends = new List<int>();
        foreach (var task in workload.Tasks)
        {
            if (ends.Count > 0)
            {
                text.Append(',');
            }

            text.Append(JsonSerializer.Serialize(new { id = task.Id, description = "Run task " + task.Id, dependencies = task.Dependencies, tool = "work.run", arguments = new { task = task.Id } }));
            ends.Add(text.Length);
        }

        var plan = text.Append("]}").ToString();
        var written = SimulatedModel.TokensThrough(plan, ends);
        return new PlanText(plan, workload.Tasks.Select((t, i) => (t.Id, written[i])).ToDictionary(p => p.Id, p => p.Item2));
    }

    private static Task<Outcome> RunAsync(Workload workload, Strategy strategy, LatencyModel latency, double timeScale) => strategy switch
    {
        Strategy.ReAct => FunctionCallingAsync(workload, parallel: false, latency, timeScale),
        Strategy.ParallelCalls => FunctionCallingAsync(workload, parallel: true, latency, timeScale),
        _ => PlansmithAsync(workload, strategy, latency, timeScale),
    };

    /// <summary>The tool every strategy calls: it waits for the task's latency (× the time scale) and returns its output.</summary>
    public sealed class WorkPlugin(Workload workload, double timeScale = 1)
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

        // The workloads model read-only work (search, fetch, analysis): running a task again changes nothing,
        // so Plansmith may start it while the plan is still being written (SpeculationMode.ReadOnly).
        [KernelFunction("run"), Description("Runs one task of the workload and returns its result."), Idempotent]
        public async Task<string> RunAsync([Description("The task id")] string task)
        {
            var work = workload.Tasks.FirstOrDefault(t => t.Id == task) ?? throw new ArgumentException($"no task {task}");
            await Task.Delay(work.Latency * timeScale);
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

    /// <summary>
    /// Plansmith: the stripped configuration (no router, no reflection) with parallelism 16 (DAG)
    /// or 1 (linear), or the defaults of <c>new PlansmithOptions()</c> — router, one reflection
    /// round, parallelism 4 — with room for the 50-step workload.
    /// </summary>
    private static async Task<Outcome> PlansmithAsync(Workload workload, Strategy strategy, LatencyModel latency, double timeScale)
    {
        var plan = Plan(workload, FullPlans).Text;
        var simulated = new SimulatedModel(latency, timeScale);
        var model = new ScriptedModel(r => simulated.ReplyAsync(r, r.Prompt switch
        {
            // Known by the prompt's name, never its wording.
            PromptNames.PlanCreate => plan,
            PromptNames.Route => """{"plan": true, "answer": ""}""",
            PromptNames.PlanReflect => """{"approved": true, "issues": []}""",
            _ => Answer,
        }, null));
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scenario-model", server.BaseAddress, "sk-bench", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        var plugin = new WorkPlugin(workload, timeScale);
        kernel.Plugins.AddFromObject(plugin, "work");
        var options = strategy == Strategy.PlansmithDefault ? new PlansmithOptions() : new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 };
        options.MaxSteps = 100;
        if (strategy != Strategy.PlansmithDefault)
        {
            options.Execution.MaxParallelism = strategy == Strategy.PlansmithLinear ? 1 : 16;
        }

        using var agent = new PlanningAgent(kernel, options);
        var clock = Stopwatch.StartNew();
        var result = await agent.RunAsync("Run every task of the workload");
        clock.Stop();
        var correct = result.Status == AgentRunStatus.Completed && plugin.Done.Count == workload.Tasks.Count;
        return new Outcome(strategy, clock.Elapsed / timeScale, simulated.CallCount, simulated.InputTokens, simulated.OutputTokens, correct, simulated.Calls);
    }

    /// <summary>
    /// SK's own function calling: the model calls one ready tool per turn (ReAct), or every ready
    /// tool in one turn with parallel and concurrent invocation on.
    /// </summary>
    private static async Task<Outcome> FunctionCallingAsync(Workload workload, bool parallel, LatencyModel latency, double timeScale)
    {
        var simulated = new SimulatedModel(latency, timeScale);
        var model = new ScriptedModel(r =>
        {
            var done = r.ToolResults.Select(t => t.ToolCallId!["call_".Length..]).ToHashSet();
            var called = r.Json["messages"]!.AsArray()
                .SelectMany(m => m!["tool_calls"]?.AsArray() ?? [])
                .Select(c => c!["id"]!.GetValue<string>()["call_".Length..])
                .ToHashSet();
            var ready = workload.Tasks.Where(t => !called.Contains(t.Id) && t.Dependencies.All(done.Contains)).Select(t => t.Id).ToList();
            return ready.Count == 0
                ? simulated.ReplyAsync(r, Answer, null)
                : simulated.ReplyAsync(r, null, parallel ? ready : ready.Take(1).ToList());
        }, toolCallIds: call => "call_" + JsonDocument.Parse(call.Arguments).RootElement.GetProperty("task").GetString());
        await using var server = new LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("scenario-model", server.BaseAddress, "sk-bench", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new SocketsHttpHandler() })).Build();
        var plugin = new WorkPlugin(workload, timeScale);
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
        return new Outcome(parallel ? Strategy.ParallelCalls : Strategy.ReAct, clock.Elapsed / timeScale, simulated.CallCount, simulated.InputTokens, simulated.OutputTokens, plugin.Done.Count == workload.Tasks.Count, simulated.Calls);
    }
}
