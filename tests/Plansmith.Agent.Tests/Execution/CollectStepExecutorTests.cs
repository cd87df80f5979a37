using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution;

public sealed class CollectStepExecutorTests
{
    private static Task<StepOutput> CollectAsync(Dictionary<string, string> outputs, params string[] dependencies)
    {
        var step = Step("m", dependencies) with { Kind = StepKind.Collect };
        return new CollectStepExecutor().ExecuteAsync(new StepContext(Of(step), step, new Kernel(), outputs));
    }

    [Fact]
    public async Task ExecuteAsync_Outputs_AreOneArrayInDependencyOrderWithJsonKeptAsJson()
    {
        var outputs = new Dictionary<string, string>
        {
            ["a"] = """{"title": "Flask"}""",
            ["b"] = "plain text, café \"quoted\"",
            ["c"] = "[1, 2]",
            ["d"] = "{not json",
        };

        var output = await CollectAsync(outputs, "c", "a", "b", "d");

        Assert.Equal("""[[1,2],{"title":"Flask"},"plain text, café \"quoted\"","{not json"]""", output.Text);
    }

    [Fact]
    public async Task ExecuteAsync_DependencyWithoutOutput_FailsForGoodNamingIt()
    {
        var ex = await Assert.ThrowsAsync<StepExecutionException>(() => CollectAsync(new Dictionary<string, string> { ["a"] = "x" }, "a", "b"));

        Assert.False(ex.IsTransient);
        Assert.Contains("'b', which has none", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CanExecute_OnlyCollectSteps()
    {
        var executor = new CollectStepExecutor();

        Assert.True(executor.CanExecute(Step("m") with { Kind = StepKind.Collect }));
        Assert.False(executor.CanExecute(Step("m")));
        Assert.False(executor.CanExecute(Step("m") with { Tool = "text.echo" }));
    }
}
