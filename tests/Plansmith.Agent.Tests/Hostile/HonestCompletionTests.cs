using System.Diagnostics;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Testing;
using Xunit.Abstractions;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>
/// A run that is not finished must not say it is. Hostile endpoints — streams cut mid-answer or
/// ended without their finish reason or end marker, empty, garbage, HTML or error streams,
/// answers truncated at the token limit or withheld, bodies trickled past the time limits — over
/// SK's real OpenAI connector, the resilient HTTP client and a raw loopback server. A run completes
/// only with a whole answer; otherwise the answer is asked again within limits and then the run
/// fails with a clear error (which the CLI turns into exit code 1).
/// </summary>
public sealed class HonestCompletionTests(ITestOutputHelper output)
{
    private const string Answer = "The sum of 1 and 2 is 3, as step s1 computed.";

    private static readonly ModelResilienceOptions Patient = new()
    {
        MaxRetries = 1,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        TotalTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A short attempt timeout for stalling bodies; retries enough that a slow cold request on a busy machine still passes.</summary>
    private static readonly ModelResilienceOptions Stalling = new()
    {
        MaxRetries = 2,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromMilliseconds(1500),
        TotalTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Faults of the answer, each as a stream and as a whole (non-streamed) body.</summary>
    public static TheoryData<string> AnswerFaults() =>
    [
        "cut-mid-answer", "finish-then-cut", "finish-without-done", "done-without-finish", "empty-stream",
        "garbage-stream", "error-event", "html-200", "finish-length", "content-filter", "trickle-past-attempt",
    ];

    [Theory]
    [MemberData(nameof(AnswerFaults))]
    public async Task Answer_FirstStreamNotWhole_IsDiscardedAndAskedAgain(string fault)
    {
        var synth = 0;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "synthesize" && Interlocked.Increment(ref synth) == 1 ? Hostile(fault, r.Stream) : null);
        using var agent = Agent(server, fault == "trickle-past-attempt" ? Stalling : Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{fault}: {result.Status} {result.Error}");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(Answer, result.Answer);
        Assert.Equal(Answer, Assert.Single(result.Events.OfType<AnswerCompleted>()).Answer);
        Assert.Equal(2, server.RequestsFor("synthesize").Count);
        Assert.True(server.RequestsFor("synthesize")[0].Stream, "the first answer request streams");
    }

    [Theory]
    [MemberData(nameof(AnswerFaults))]
    public async Task Answer_NeverWhole_RunFailsWithAClearErrorAndNoAnswer(string fault)
    {
        await using var server = new HostileOpenAIServer(Normal(), r => r.Prompt == "synthesize" ? Hostile(fault, r.Stream) : null);
        using var agent = Agent(server, fault == "trickle-past-attempt" ? Stalling : Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));
        output.WriteLine($"{fault}: {result.Status} {result.Error}");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Equal(string.Empty, result.Answer);
        Assert.Empty(result.Events.OfType<AnswerCompleted>());
        Assert.Contains("No complete answer could be written", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Contains(FaultWords(fault), result.Error, StringComparison.OrdinalIgnoreCase);

        // The answer was asked for three times; a whole body that could not be read in an attempt
        // is also retried by the HTTP client.
        Assert.InRange(server.RequestsFor("synthesize").Count, 3, 1 + (2 * (Stalling.MaxRetries + 1)));
        Assert.All(result.Steps, s => Assert.Equal(StepStatus.Completed, s.Status)); // the steps' results stand
    }

    [Fact]
    public async Task Answer_TrickledPastTheTotalTimeout_IsAbandonedInTimeAndNotAskedAgain()
    {
        await using var server = new HostileOpenAIServer(Normal(), r => r.Prompt == "synthesize" ? Hostile("trickle-past-attempt", r.Stream) : null);
        using var agent = Agent(server, Patient.With(attempt: TimeSpan.FromSeconds(30), total: TimeSpan.FromSeconds(4)));
        var clock = Stopwatch.StartNew();

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Contains("total timeout", result.Error, StringComparison.Ordinal);
        Assert.Single(server.RequestsFor("synthesize"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"the trickled answer held the run for {clock.Elapsed}");
    }

    [Fact]
    public async Task Answer_SlowButWithinTheLimits_Completes()
    {
        await using var server = new HostileOpenAIServer(Normal(), r => r.Prompt == "synthesize"
            ? WireReply.Stream(OpenAIWire.Whole(Answer)) with { PieceDelay = TimeSpan.FromMilliseconds(25) }
            : null);
        using var agent = Agent(server, Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(Answer, result.Answer);
        Assert.True(result.Events.OfType<AnswerDelta>().Count() > 5, "the answer arrived in pieces");
        Assert.Single(server.RequestsFor("synthesize"));
    }

    [Fact]
    public async Task Answer_FailedRun_ResumesToAWholeAnswerWithoutRerunningSteps()
    {
        var broken = true;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "synthesize" && Volatile.Read(ref broken) ? Hostile("cut-mid-answer", r.Stream) : null);
        var dir = Directory.CreateTempSubdirectory("plansmith-honest-").FullName;
        try
        {
            var store = new Plansmith.Agent.Runs.Store.SqliteRunStore(Path.Combine(dir, "runs.db"));
            var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, "sk-honest", httpClient: ModelHttpClient.Create(Patient)).Build();
            kernel.Plugins.AddFromType<MathPlugin>("math");
            using var agent = new PlanningAgent(kernel, new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 }, runStore: store);
            var failed = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(AgentRunStatus.Failed, failed.Status);
            var steps = server.RequestsFor("step_execute").Count;

            Volatile.Write(ref broken, false);
            var resumed = await agent.ResumeAsync(failed.RunId!).WaitAsync(TimeSpan.FromSeconds(90));

            Assert.Equal(AgentRunStatus.Completed, resumed.Status);
            Assert.Equal(Answer, resumed.Answer);
            Assert.Equal(steps, server.RequestsFor("step_execute").Count);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("length")]
    [InlineData("content_filter")]
    [InlineData("empty")]
    public async Task Step_AnswerNotWhole_IsNotTheStepsOutput(string fault)
    {
        var calls = 0;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "step_execute" && Interlocked.Increment(ref calls) == 1
                ? WireReply.Text(fault == "empty" ? OpenAIWire.Completion(string.Empty) : OpenAIWire.Completion("Three, bec", fault))
                : null);
        using var agent = Agent(server, Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var step = result["s2"];
        Assert.Equal("Three.", step.Output);
        Assert.Equal(2, step.Attempts);
        Assert.Equal(2, server.RequestsFor("step_execute").Count);
    }

    [Fact]
    public async Task Step_AnswerAlwaysTruncated_FailsTheStepNotTheTruth()
    {
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "step_execute" ? WireReply.Text(OpenAIWire.Completion("Three, bec", "length")) : null);
        using var agent = Agent(server, Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.NotEqual(AgentRunStatus.Completed, result.Status);
        Assert.DoesNotContain(result.Steps, s => s.Output?.Contains("Three, bec", StringComparison.Ordinal) == true);
        Assert.Contains("token limit", result["s2"].Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("garbage")]
    public async Task Plan_EmptyOrGarbageReply_GoesBackToThePlannerLikeAnyBadPlan(string fault)
    {
        var calls = 0;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "plan_create" && Interlocked.Increment(ref calls) == 1
                ? WireReply.Text(OpenAIWire.Completion(fault == "empty" ? string.Empty : "Sure! Here is my plan: add the numbers."))
                : null);
        using var agent = Agent(server, Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Single(result.Events.OfType<PlanRejected>());
        Assert.Equal(2, server.RequestsFor("plan_create").Count);
        Assert.Contains("was rejected", server.RequestsFor("plan_create")[1].User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_AlwaysEmpty_EndsRejectedAfterTheAllowedAttempts()
    {
        await using var server = new HostileOpenAIServer(Normal(), r => r.Prompt == "plan_create" ? WireReply.Text(OpenAIWire.Completion(string.Empty)) : null);
        using var agent = Agent(server, Patient);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Rejected, result.Status);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        Assert.Equal(new PlansmithOptions().MaxPlanAttempts, server.RequestsFor("plan_create").Count);
    }

    [Theory]
    [InlineData("trickled")]
    [InlineData("cut")]
    public async Task Plan_WholeBodyNotReadWithinTheAttempt_IsRetriedByTheClient(string fault)
    {
        var calls = 0;
        await using var server = new HostileOpenAIServer(Normal(), r =>
            r.Prompt == "plan_create" && Interlocked.Increment(ref calls) == 1
                ? fault == "cut"
                    ? WireReply.Text(PlanJson()[..30]) with { Cut = true }
                    : WireReply.Text(" ") with { Endless = true, PieceDelay = TimeSpan.FromMilliseconds(100) }
                : null);
        using var agent = Agent(server, Stalling);

        var result = await agent.RunAsync("Add 1 and 2").WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.InRange(server.RequestsFor("plan_create").Count, 2, Stalling.MaxRetries + 1);
        Assert.Empty(result.Events.OfType<PlanRejected>());
    }

    private static PlanningAgent Agent(HostileOpenAIServer server, ModelResilienceOptions resilience)
    {
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, "sk-honest", httpClient: ModelHttpClient.Create(resilience)).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        var options = new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0, MaxReplans = 0 };
        options.Execution.RetryBaseDelay = TimeSpan.Zero;
        return new PlanningAgent(kernel, options);
    }

    private static ScriptedModel Normal() => new(r => r.Prompt switch
    {
        "plan_create" => new ModelReply(PlanJson()),
        "step_execute" => new ModelReply("Three."),
        _ => new ModelReply(Answer),
    });

    private static string PlanJson() => System.Text.Json.JsonSerializer.Serialize(new
    {
        steps = new object[]
        {
            new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 1, b = 2 } },
            new { id = "s2", description = "Explain ${s1}", dependencies = new[] { "s1" } },
        },
    });

    /// <summary>What the error must say for each fault, so the user can tell them apart.</summary>
    private static string FaultWords(string fault) => fault switch
    {
        "finish-length" => "token limit",
        "content-filter" => "content filter",
        "trickle-past-attempt" => "timeout",
        "error-event" => "The server is overloaded",
        "html-200" => "HTML page",
        "cut-mid-answer" or "finish-then-cut" => "cut off",
        "finish-without-done" => "end marker",
        "done-without-finish" => "finish reason",
        _ => "answer",
    };

    private static WireReply Hostile(string fault, bool stream)
    {
        var whole = OpenAIWire.Completion(Answer);
        return fault switch
        {
            "cut-mid-answer" => stream
                ? WireReply.Stream(OpenAIWire.Chunk("The sum"), OpenAIWire.Chunk(" of 1")) with { Cut = true }
                : WireReply.Text(whole[..40]) with { Cut = true },
            "finish-then-cut" => stream
                ? WireReply.Stream([.. OpenAIWire.Split("The sum of").Select(OpenAIWire.Chunk), OpenAIWire.Finish()]) with { Cut = true }
                : WireReply.Text(whole[..60]) with { Cut = true },
            "finish-without-done" => stream
                ? WireReply.Stream([.. OpenAIWire.Split("The sum of").Select(OpenAIWire.Chunk), OpenAIWire.Finish(), OpenAIWire.Usage()])
                : WireReply.Text(whole[..60]),
            "done-without-finish" => stream
                ? WireReply.Stream([.. OpenAIWire.Split("The sum of").Select(OpenAIWire.Chunk), OpenAIWire.Usage(), OpenAIWire.Done])
                : WireReply.Text(whole[..60]),
            "empty-stream" => stream ? WireReply.Stream(OpenAIWire.Done) : WireReply.Text(OpenAIWire.Completion(string.Empty)),
            "garbage-stream" => stream
                ? WireReply.Stream("data: this is not json\n\n", "data: {{{{\n\n", OpenAIWire.Done)
                : WireReply.Text("this is not json"),
            "error-event" => stream
                ? WireReply.Stream(OpenAIWire.Chunk("The sum"), "data: {\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}\n\n", OpenAIWire.Done)
                : WireReply.Text("{\"error\":{\"message\":\"The server is overloaded\",\"type\":\"server_error\"}}"),
            "html-200" => WireReply.Text("<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>", "text/html"),
            "finish-length" => stream ? WireReply.Stream(OpenAIWire.Whole("The sum of 1 and", "length")) : WireReply.Text(OpenAIWire.Completion("The sum of 1 and", "length")),
            "content-filter" => stream ? WireReply.Stream(OpenAIWire.Whole("The", "content_filter")) : WireReply.Text(OpenAIWire.Completion("The", "content_filter")),
            "trickle-past-attempt" => stream
                ? WireReply.Stream(OpenAIWire.Chunk("The sum ")) with { Endless = true, PieceDelay = TimeSpan.FromMilliseconds(100) }
                : WireReply.Text(" ") with { Endless = true, PieceDelay = TimeSpan.FromMilliseconds(100) },
            _ => throw new ArgumentOutOfRangeException(nameof(fault)),
        };
    }
}

internal static class ResilienceOptionsExtensions
{
    /// <summary>A copy with other time limits.</summary>
    public static ModelResilienceOptions With(this ModelResilienceOptions options, TimeSpan? attempt = null, TimeSpan? total = null) => new()
    {
        MaxRetries = options.MaxRetries,
        RetryBaseDelay = options.RetryBaseDelay,
        AttemptTimeout = attempt ?? options.AttemptTimeout,
        TotalTimeout = total ?? options.TotalTimeout,
        BreakerFailureRatio = options.BreakerFailureRatio,
        BreakerSamplingDuration = options.BreakerSamplingDuration,
        BreakerMinimumThroughput = options.BreakerMinimumThroughput,
        BreakDuration = options.BreakDuration,
    };
}
