using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Execution;

public sealed class ToolStepExecutorTests
{
    private readonly Kernel _kernel = TestKernels.WithTestPlugins();

    private async Task<PlanExecutionResult> RunAsync(params PlanStep[] steps)
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 0 });
        return await executor.ExecuteAsync(Of(steps));
    }

    [Fact]
    public async Task Execute_JsonNumbers_AreConvertedToParameterTypes()
    {
        var result = await RunAsync(Step("s1") with { Tool = "math.add", Arguments = Args("""{"a": 2, "b": 40}""") });

        Assert.Equal("42", result["s1"].Output);
    }

    [Fact]
    public async Task Execute_NumbersWrittenAsStrings_AreConverted()
    {
        var result = await RunAsync(Step("s1") with { Tool = "math.add", Arguments = Args("""{"a": "2", "b": "3"}""") });

        Assert.Equal("5", result["s1"].Output);
    }

    [Fact]
    public async Task Execute_JsonArray_BecomesTypedArray()
    {
        var result = await RunAsync(Step("s1") with { Tool = "math.sum", Arguments = Args("""{"values": [1.5, 2.5, 3]}""") });

        Assert.Equal("7", result["s1"].Output);
    }

    [Fact]
    public async Task Execute_EnumAsString_IsConverted()
    {
        var result = await RunAsync(Step("s1") with { Tool = "text.mode", Arguments = Args("""{"comparison": "OrdinalIgnoreCase"}""") });

        Assert.Equal("OrdinalIgnoreCase", result["s1"].Output);
    }

    [Fact]
    public async Task Execute_OptionalArgumentOmitted_UsesTheDefault()
    {
        var result = await RunAsync(Step("s1") with { Tool = "math.scale", Arguments = Args("""{"value": 21}""") });

        Assert.Equal("42", result["s1"].Output);
    }

    [Fact]
    public async Task Execute_ObjectResult_IsJsonThatLaterStepsCanPathInto()
    {
        var result = await RunAsync(
            Step("s1") with { Tool = "text.search", Arguments = Args("""{"query": "flask", "top": 3}""") },
            Step("s2", "s1") with { Tool = "text.upper", Arguments = Args("""{"text": "${s1.items[2].title}"}""") },
            Step("s3", "s1") with { Tool = "math.scale", Arguments = Args("""{"value": "${s1.total}", "factor": 10}""") });

        using var output = JsonDocument.Parse(result["s1"].Output!);
        Assert.Equal(3, output.RootElement.GetProperty("total").GetInt32());
        Assert.Equal("FLASK 3", result["s2"].Output);
        Assert.Equal("30", result["s3"].Output);
    }

    [Fact]
    public async Task Execute_WholeJsonOutputIntoTypedParameter_IsDeserialized()
    {
        var result = await RunAsync(
            Step("s1") with { Tool = "text.echo", Arguments = Args("""{"text": "[1, 2, 3.5]"}""") },
            Step("s2", "s1") with { Tool = "math.sum", Arguments = Args("""{"values": "${s1}"}""") });

        Assert.Equal("6.5", result["s2"].Output);
    }

    [Fact]
    public async Task Execute_UnconvertibleArgument_FailsNamingParameterAndType()
    {
        var result = await RunAsync(Step("s1") with { Tool = "math.add", Arguments = Args("""{"a": "many", "b": 1}""") });

        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Contains("argument 'a' of tool 'math.add' expects Int32", result["s1"].Error, StringComparison.Ordinal);
        Assert.Equal(1, result["s1"].Attempts);
    }

    [Fact]
    public async Task Execute_MissingReferencePath_FailsWithPathAndShapeAndNoRetry()
    {
        var executor = new PlanExecutor(_kernel, [new ToolStepExecutor()], new PlanExecutorOptions { MaxRetries = 3 });
        var result = await executor.ExecuteAsync(Of(
            Step("s1") with { Tool = "text.search", Arguments = Args("""{"query": "q"}""") },
            Step("s2", "s1") with { Tool = "text.echo", Arguments = Args("""{"text": "${s1.items[0].author}"}""") }));

        Assert.Equal(StepStatus.Failed, result["s2"].Status);
        Assert.Contains("s1.items[0] has no field 'author'", result["s2"].Error, StringComparison.Ordinal);
        Assert.Contains("{title: string, url: string, score: number}", result["s2"].Error, StringComparison.Ordinal);
        Assert.Equal(1, result["s2"].Attempts);
    }

    [Fact]
    public async Task Execute_UnknownTool_FailsListingAvailableTools()
    {
        var result = await RunAsync(Step("s1") with { Tool = "web.search" });

        Assert.Contains("'web.search', which the kernel does not have", result["s1"].Error, StringComparison.Ordinal);
        Assert.Contains("text.echo", result["s1"].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Execute_WireStyleToolName_IsResolved()
    {
        var result = await RunAsync(Step("s1") with { Tool = "text-upper", Arguments = Args("""{"text": "abc"}""") });

        Assert.Equal("ABC", result["s1"].Output);
    }

    [Fact]
    public void CanExecute_OnlyToolStepsThatAreNotSubgoals()
    {
        var executor = new ToolStepExecutor();

        Assert.True(executor.CanExecute(Step("a") with { Tool = "text.echo" }));
        Assert.True(executor.CanExecute(Step("a") with { Tool = "text.echo", Kind = StepKind.Verify }));
        Assert.False(executor.CanExecute(Step("a")));
        Assert.False(executor.CanExecute(Step("a") with { Tool = "text.echo", Kind = StepKind.Subgoal }));
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("text", "text")]
    [InlineData(1.5, "1.5")]
    [InlineData(true, "true")]
    public void ToText_Scalars_AreInvariantText(object? value, string expected)
    {
        Assert.Equal(expected, ToolStepExecutor.ToText(value));
    }

    [Theory]
    [InlineData(typeof(FileNotFoundException), false)]
    [InlineData(typeof(ArgumentException), false)]
    [InlineData(typeof(UnauthorizedAccessException), false)]
    [InlineData(typeof(HttpRequestException), true)]
    [InlineData(typeof(IOException), true)]
    [InlineData(typeof(InvalidOperationException), true)]
    public void IsTransient_ClassifiesToolFaults(Type exceptionType, bool expected)
    {
        Assert.Equal(expected, ToolStepExecutor.IsTransient((Exception)Activator.CreateInstance(exceptionType)!));
    }
}
