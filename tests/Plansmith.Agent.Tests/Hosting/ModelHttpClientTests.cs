using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hosting;

/// <summary>The resilient client under SK's real OpenAI connector, against our loopback server's faults.</summary>
public sealed class ModelHttpClientTests
{
    private const string Key = "sk-resilience-secret";

    private static readonly ModelResilienceOptions Fast = new()
    {
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        AttemptTimeout = TimeSpan.FromMilliseconds(1500), // room for a cold first request on a busy machine
        TotalTimeout = TimeSpan.FromSeconds(20),
    };

    private static PlanningAgent Agent(LoopbackOpenAIServer server, ModelResilienceOptions options, TimeProvider? time = null)
    {
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, Key, httpClient: ModelHttpClient.Create(options, timeProvider: time)).Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        return new PlanningAgent(kernel, new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 });
    }

    private static ModelReply Plan() =>
        ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 1, b = 2 } } } });

    [Theory]
    [InlineData(429, 0)]
    [InlineData(503, null)]
    public async Task TransientStatus_IsRetriedUntilTheCallSucceeds(int status, int? retryAfter)
    {
        var calls = 0;
        var model = new ScriptedModel(r => r.Prompt == "plan_create" && Interlocked.Increment(ref calls) <= 2
            ? new ModelReply("try again", Status: status, RetryAfterSeconds: retryAfter)
            : r.Prompt == "plan_create" ? Plan() : new ModelReply("3"));
        await using var server = new LoopbackOpenAIServer(model);
        using var agent = Agent(server, Fast);

        var result = await agent.RunAsync("Add");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(3, model.RequestsFor("plan_create").Count);
    }

    [Fact]
    public async Task AttemptPastItsTimeout_IsAbandonedAndRetried()
    {
        var calls = 0;
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new CancellationTokenSource();
        var model = new ScriptedModel(async r =>
        {
            if (r.Prompt == "plan_create" && Interlocked.Increment(ref calls) == 1)
            {
                // A server that stops answering: the reply comes only after the test is over.
                stalled.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, release.Token).ContinueWith(_ => { });
            }

            return r.Prompt == "plan_create" ? Plan() : new ModelReply("3");
        });
        var time = new FakeTimeProvider();
        await using var server = new LoopbackOpenAIServer(model);
        using var agent = Agent(server, Fast, time);

        var run = agent.RunAsync("Add");
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(60));
        time.Advance(Fast.AttemptTimeout);

        // The retry's backoff runs on the same clock: move it on in small steps until the call is asked
        // again, staying far below the total timeout.
        for (var moved = TimeSpan.Zero; model.RequestsFor("plan_create").Count < 2 && moved < TimeSpan.FromSeconds(10); moved += TimeSpan.FromMilliseconds(50))
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        await release.CancelAsync();

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, model.RequestsFor("plan_create").Count);
    }

    [Fact]
    public async Task PersistentFailure_EndsWithAClearErrorWithoutTheKey()
    {
        var model = new ScriptedModel(_ => new ModelReply("down for maintenance", Status: 500));
        await using var server = new LoopbackOpenAIServer(model);
        using var agent = Agent(server, Fast);

        var result = await agent.RunAsync("Add");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Contains("A model call failed while planning", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.Error, StringComparison.Ordinal);
        Assert.Equal(4, model.Requests.Count); // the call and its 3 retries
    }

    [Fact]
    public async Task BadRequest_IsNotRetried()
    {
        var model = new ScriptedModel(_ => new ModelReply("bad request", Status: 400));
        await using var server = new LoopbackOpenAIServer(model);
        using var agent = Agent(server, Fast);

        var result = await agent.RunAsync("Add");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Single(model.Requests);
    }

    [Fact]
    public void Create_InvalidOptions_NamesTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelHttpClient.Create(new ModelResilienceOptions { MaxRetries = 99 }));

        Assert.Contains("MaxRetries", ex.Message, StringComparison.Ordinal);
    }
}
