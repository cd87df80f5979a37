using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Testing;
using Xunit.Abstractions;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>
/// Transient faults never fail a run that a patient client would finish: bursts of 500s, 429s
/// with <c>Retry-After</c>, malformed plans, and a circuit breaker that opens — calls wait for it
/// instead of failing against it. A fault that is not transient (401, 400) still fails fast. Over
/// SK's real OpenAI connector, the resilient HTTP client and a loopback server, with short delays
/// configured so that the runs are quick.
/// </summary>
public sealed class ResilienceUnderFaultsTests(ITestOutputHelper output)
{
    private const string Key = "sk-resilience-under-faults";

    /// <summary>Short delays; the breaker's thresholds stay at their defaults.</summary>
    private static ModelResilienceOptions Quick() => new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        TotalTimeout = TimeSpan.FromSeconds(60),
        BreakDuration = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>The breaker exactly as shipped (thresholds and break); only the retry delay and the timeouts are short.</summary>
    private static ModelResilienceOptions Defaults() => new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        TotalTimeout = TimeSpan.FromSeconds(60),
    };

    /// <summary>
    /// 50 runs against an endpoint that fails a quarter of its requests. With the shipped breaker,
    /// and with a touchy one (the old thresholds: ratio 0.5 over 10 calls) that does open: then the
    /// calls wait for it and the runs still complete.
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("shipped")]
    [InlineData("touchy")]
    public async Task ManyRuns_FlakyEndpoint_EveryRunCompletes(string breaker)
    {
        const int Runs = 50;
        var faults = new FlakyServer(seed: 20261126);
        await using var server = new HostileOpenAIServer(faults.Model, faults.Hostile);

        var statuses = new List<AgentRunStatus>();
        for (var run = 0; run < Runs; run++)
        {
            // A client per run, as the CLI makes one per process: each run's breaker starts afresh
            // and judges the endpoint on that run's traffic alone.
            var options = Defaults();
            if (breaker == "touchy")
            {
                options.BreakerFailureRatio = 0.5;
                options.BreakerMinimumThroughput = 10;
                options.BreakDuration = TimeSpan.FromMilliseconds(500);
            }

            using var http = ModelHttpClient.Create(options);
            using var agent = Agent(server, http, parallelism: 4);
            var result = await agent.RunAsync($"Compare three things, run {run}").WaitAsync(TimeSpan.FromSeconds(120));
            statuses.Add(result.Status);
            if (result.Status != AgentRunStatus.Completed)
            {
                output.WriteLine($"run {run}: {result.Status} — {result.Error}");
            }
        }

        var completed = statuses.Count(s => s == AgentRunStatus.Completed);
        output.WriteLine($"COMPLETION {breaker}: {completed}/{Runs} runs; {server.Requests.Count} requests, {faults.Statuses} error statuses ({100.0 * faults.Statuses / server.Requests.Count:0}%), {faults.Malformed} malformed plans ({100.0 * faults.Malformed / Math.Max(1, faults.PlanRequests):0}% of plan requests)");
        Assert.True(faults.Statuses > server.Requests.Count / 6, "the endpoint was not flaky enough to test anything");
        Assert.True(faults.Malformed > 0, "no malformed plan was sent");
        Assert.Equal(Runs, completed);
    }

    [Fact]
    public async Task BreakerOpens_CallsWaitForItToHalfOpenAndTheRunCompletes()
    {
        var requests = 0;
        var arrivals = new ConcurrentQueue<(int N, TimeSpan At)>();
        var clock = Stopwatch.StartNew();
        await using var server = new HostileOpenAIServer(Normal(), r =>
        {
            var n = Interlocked.Increment(ref requests);
            arrivals.Enqueue((n, clock.Elapsed));
            return n <= 4 ? WireReply.Text("{\"error\":{\"message\":\"overloaded\"}}", status: 503) : null;
        });
        var options = Quick();
        options.BreakerMinimumThroughput = 4;
        var http = ModelHttpClient.Create(options);
        using var agent = Agent(server, http, parallelism: 1);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var times = arrivals.OrderBy(a => a.N).Select(a => a.At).ToList();
        Assert.Equal(5, server.RequestsFor("route").Count);

        // Four failures of the first call opened the circuit; its fifth attempt waited for it to half-open.
        Assert.True(times[4] - times[3] >= TimeSpan.FromMilliseconds(450), $"the call went on {times[4] - times[3]} after the circuit opened");
    }

    [Fact]
    public async Task DeadEndpoint_WaitingForTheCircuitStillEndsWithinTheTotalTimeout()
    {
        await using var server = new HostileOpenAIServer(Normal(), _ => WireReply.Text("{\"error\":{\"message\":\"down\"}}", status: 503));
        var options = Quick();
        options.BreakerMinimumThroughput = 2;
        options.TotalTimeout = TimeSpan.FromSeconds(3);
        options.MaxRetries = 10;
        var http = ModelHttpClient.Create(options);
        using var agent = Agent(server, http, parallelism: 1);
        var clock = Stopwatch.StartNew();

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Contains("A model call failed while planning", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"a dead endpoint held the run for {clock.Elapsed}");

        // The open circuit kept the client from hammering: far fewer requests than retries allow in 3 s at 5 ms.
        Assert.InRange(server.Requests.Count, 2, 12);
    }

    [Theory]
    [InlineData(500, 3)]
    [InlineData(500, 5)]
    [InlineData(429, 5)]
    public async Task BurstOfErrors_WithinTheRetries_RunCompletes(int status, int burst)
    {
        var requests = 0;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            Interlocked.Increment(ref requests) <= burst ? WireReply.Text("{\"error\":{\"message\":\"burst\"}}", status: status) with { RetryAfterSeconds = status == 429 ? 0 : null } : null);
        var http = ModelHttpClient.Create(Quick());
        using var agent = Agent(server, http, parallelism: 1);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(burst + 1, server.RequestsFor("route").Count);
    }

    [Fact]
    public async Task TooManyRequests_RetryAfterIsHonoured()
    {
        var plans = 0;
        var arrivals = new ConcurrentQueue<TimeSpan>();
        var clock = Stopwatch.StartNew();
        await using var server = new HostileOpenAIServer(Normal(), r =>
        {
            if (r.Prompt != "plan_create")
            {
                return null;
            }

            arrivals.Enqueue(clock.Elapsed);
            return Interlocked.Increment(ref plans) == 1 ? WireReply.Text("{\"error\":{\"message\":\"slow down\"}}", status: 429) with { RetryAfterSeconds = 1 } : null;
        });
        var http = ModelHttpClient.Create(Quick());
        using var agent = Agent(server, http, parallelism: 1);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var times = arrivals.Order().ToList();
        Assert.Equal(2, times.Count);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(900), $"retried after {times[1] - times[0]}, not after Retry-After: 1");
    }

    [Theory]
    [InlineData(401, "Unauthorized", "Check the API key")]
    [InlineData(400, "BadRequest", "The endpoint rejected the request")]
    public async Task NotTransient_FailsFastWithAClearMessage(int status, string words, string hint)
    {
        await using var server = new HostileOpenAIServer(Normal(), _ => WireReply.Text($"{{\"error\":{{\"message\":\"status {status}\"}}}}", status: status));
        var http = ModelHttpClient.Create(Quick());
        using var agent = Agent(server, http, parallelism: 1);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Single(server.Requests);
        Assert.Contains($"The model call for 'route' failed: the endpoint answered HTTP {status} ({words}): \"status {status}\"", result.Error, StringComparison.Ordinal);
        Assert.Contains(hint, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.Error, StringComparison.Ordinal);
    }

    private static PlanningAgent Agent(HostileOpenAIServer server, HttpClient http, int parallelism)
    {
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, Key, httpClient: http).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        // The faults are counted per request in order: the router and the planner one after the other.
        var options = new PlansmithOptions { UseRouter = true, PlanWhileRouting = false, MaxReflectionRounds = 1 };
        options.Execution.MaxParallelism = parallelism;
        options.Execution.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
        return new PlanningAgent(kernel, options);
    }

    private static ScriptedModel Normal() => new(r => r.Prompt switch
    {
        "route" => ModelReply.Json(new { plan = true, answer = string.Empty }),
        "plan_create" or "plan_revise" => ModelReply.Json(GoodPlan),
        "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
        "step_execute" => new ModelReply("Part done."),
        "step_verify" => ModelReply.Json(new { passed = true, reason = "fine" }),
        _ => new ModelReply("The answer."),
    });

    /// <summary>A plan with the traffic of a real run: a tool step, five model steps at once, a check and a join.</summary>
    private static readonly object GoodPlan = new
    {
        steps = new object[]
        {
            new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 1, b = 2 } },
            new { id = "s2", description = "Look at part one" },
            new { id = "s3", description = "Look at part two" },
            new { id = "s4", description = "Look at part three" },
            new { id = "s5", description = "Look at part four" },
            new { id = "s6", description = "Look at part five" },
            new { id = "s7", description = "Check ${s2} against ${s1}", dependencies = new[] { "s1", "s2" }, kind = "verify" },
            new { id = "s8", description = "Join ${s3} ${s4} ${s5} ${s6} ${s7}", dependencies = new[] { "s3", "s4", "s5", "s6", "s7" } },
        },
    };

    /// <summary>
    /// An endpoint that fails about a quarter of its requests with 500 or 429 and sends a malformed
    /// plan for about 15 % of plan requests (a fifth of those not failed; half an invalid plan, half a
    /// broken body). Each fault is drawn from a seeded source keyed by the request (prompt, content,
    /// and how many times that same request came before), so the faults are the same on every run of
    /// the test, however the parallel steps interleave.
    /// </summary>
    private sealed class FlakyServer(int seed)
    {
        private readonly ConcurrentDictionary<string, int> _seen = new(StringComparer.Ordinal);
        private int _statuses;
        private int _malformed;
        private int _planRequests;

        public ScriptedModel Model { get; } = Normal();

        public int Statuses => Volatile.Read(ref _statuses);

        public int Malformed => Volatile.Read(ref _malformed);

        public int PlanRequests => Volatile.Read(ref _planRequests);

        public WireReply? Hostile(ModelRequest request)
        {
            var key = $"{request.Prompt}|{request.Stream}|{request.System.Length}|{request.User}";
            var occurrence = _seen.AddOrUpdate(key, 1, (_, n) => n + 1);
            var random = new Random(Hash($"{seed}|{key}|{occurrence}"));
            if (random.NextDouble() < 0.25)
            {
                Interlocked.Increment(ref _statuses);
                return random.Next(2) == 0
                    ? WireReply.Text("{\"error\":{\"message\":\"internal error\"}}", status: 500)
                    : WireReply.Text("{\"error\":{\"message\":\"rate limited\"}}", status: 429) with { RetryAfterSeconds = 0 };
            }

            if (request.Prompt is not ("plan_create" or "plan_revise"))
            {
                return null;
            }

            Interlocked.Increment(ref _planRequests);
            if (random.NextDouble() >= 0.2)
            {
                return null;
            }

            Interlocked.Increment(ref _malformed);
            return random.Next(2) == 0
                ? WireReply.Text(OpenAIWire.Completion("{\"steps\": [{\"id\": \"a\", \"description\": \"A\", \"dependencies\": [\"missing\"]}]}"))
                : WireReply.Text("{\"id\": \"chatcmpl-x\", \"choices\": [{\"index\": 0, \"message\": {\"role\": \"assistant\", \"content\": \"{\\\"steps\\\"");
        }

        /// <summary>FNV-1a: the same in every process, unlike string.GetHashCode.</summary>
        private static int Hash(string text)
        {
            var hash = 2166136261u;
            foreach (var c in text)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)hash;
        }
    }
}
