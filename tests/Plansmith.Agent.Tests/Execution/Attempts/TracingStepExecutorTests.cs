using System.Collections.Concurrent;
using System.Diagnostics;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution.Attempts;

public sealed class TracingStepExecutorTests : IDisposable
{
    // Other tests make Plansmith spans at the same time: each test looks only at its own trace.
    private const string TestSourceName = "Plansmith.Tests.Tracing";
    private static readonly ActivitySource TestSource = new(TestSourceName);
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingStepExecutorTests()
    {
        _listener = new ActivityListener
        {
            // By name: reading TestSource here could be the first touch of that field, creating the
            // source while this listener is being added, and it would never be listened to.
            ShouldListenTo = source => source.Name is PlansmithTelemetry.SourceName or TestSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private async Task<List<Activity>> TraceAsync(Func<Task> run)
    {
        ActivityTraceId trace;
        using (var test = TestSource.StartActivity("test"))
        {
            trace = test!.TraceId;
            await run();
        }

        return [.. _stopped.Where(a => a.TraceId == trace && a.Source.Name == PlansmithTelemetry.SourceName)];
    }

    private static TracingStepExecutor Layer(IStepExecutor executor)
    {
        var selector = new StepExecutorSelector([executor]);
        return new TracingStepExecutor(selector, selector);
    }

    [Fact]
    public async Task ExecuteAsync_AttemptSucceeds_OneSpanWithTheAttemptStatusAndUsage()
    {
        var inner = new FakeStepExecutor((_, _) => Task.FromResult(new StepOutput("ok") { Usage = new TokenUsage(1, 10, 5) }));

        var spans = await TraceAsync(() => Layer(inner).ExecuteAsync(AttemptContexts.For(Step("s1")).ForAttempt(2)));

        var span = Assert.Single(spans);
        Assert.Equal("execute_step s1", span.DisplayName);
        Assert.Equal("execute_step", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(2, span.GetTagItem("plansmith.step.attempt"));
        Assert.Equal(false, span.GetTagItem("plansmith.step.fallback"));
        Assert.Equal("completed", span.GetTagItem("plansmith.step.status"));
        Assert.Equal(10L, span.GetTagItem("gen_ai.usage.input_tokens"));
    }

    [Fact]
    public async Task ExecuteAsync_AttemptFails_SpanIsAnErrorAndTheFailurePassesOn()
    {
        var inner = FakeStepExecutor.Failing(() => new InvalidOperationException("disk full"));

        var spans = await TraceAsync(() => Assert.ThrowsAsync<InvalidOperationException>(() => Layer(inner).ExecuteAsync(AttemptContexts.For(Step("s1")))));

        var span = Assert.Single(spans);
        Assert.Equal("failed", span.GetTagItem("plansmith.step.status"));
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("disk full", span.StatusDescription);
    }

    [Fact]
    public async Task ExecuteAsync_ToolStep_NestsAnExecuteToolSpanInTheStepSpan()
    {
        var step = Step("s1") with { Tool = "text.upper", Arguments = Args("""{"text": "hi"}""") };

        var spans = await TraceAsync(() => Layer(new ToolStepExecutor()).ExecuteAsync(AttemptContexts.For(step)));

        var stepSpan = Assert.Single(spans, s => s.DisplayName == "execute_step s1");
        var tool = Assert.Single(spans, s => s.DisplayName == "execute_tool text.upper");
        Assert.Equal(stepSpan.SpanId, tool.ParentSpanId);
        Assert.Equal("text.upper", tool.GetTagItem("gen_ai.tool.name"));
    }

    [Fact]
    public async Task ExecuteAsync_ToolStepRunByAnotherExecutor_HasNoToolSpan()
    {
        var step = Step("s1") with { Tool = "text.upper", Arguments = Args("""{"text": "hi"}""") };
        var inner = new FakeStepExecutor((_, _) => Task.FromResult(new StepOutput("done its own way")));

        var spans = await TraceAsync(() => Layer(inner).ExecuteAsync(AttemptContexts.For(step)));

        Assert.Equal("execute_step s1", Assert.Single(spans).DisplayName);
    }
}
