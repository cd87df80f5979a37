using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution;

/// <summary>A context a third party can build to unit-test an executor of its own.</summary>
public sealed class StepContextTests
{
    private sealed class EchoInputExecutor : IStepExecutor
    {
        public bool CanExecute(PlanStep planStep) => true;

        public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(new StepOutput($"{context.Step.Id} read {context.Outputs[context.Step.Dependencies[0]]} on attempt {context.Attempt}"));
    }

    [Fact]
    public async Task Constructor_WithInputs_LetsAnExecutorBeTestedAlone()
    {
        var plan = Of(Step("s1"), Step("s2", "s1"));
        var context = new StepContext(plan, plan.Steps[1], new Kernel(), new Dictionary<string, string> { ["s1"] = "42" });

        var output = await new EchoInputExecutor().ExecuteAsync(context);

        Assert.Equal("s2 read 42 on attempt 1", output.Text);
    }

    [Fact]
    public void Constructor_OnlyRequiredArguments_IsTheFirstAttemptWithNoOutputs()
    {
        var plan = Of(Step("s1"));

        var context = new StepContext(plan, plan.Steps[0], new Kernel());

        Assert.Equal(1, context.Attempt);
        Assert.False(context.IsFallback);
        Assert.Empty(context.Outputs);
        Assert.Same(plan, context.Plan);
    }

    [Fact]
    public void Constructor_AttemptBelowOne_Throws()
    {
        var plan = Of(Step("s1"));

        Assert.Throws<ArgumentOutOfRangeException>(() => new StepContext(plan, plan.Steps[0], new Kernel(), attempt: 0));
    }
}
