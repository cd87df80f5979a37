using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Tests.TestSupport;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Plans;

public sealed class PlanValidatorTests
{
    private readonly Kernel _kernel = TestKernels.WithTestPlugins();
    private readonly PlanValidator _validator = new();

    private IReadOnlyList<PlanProblem> Check(Plan plan) => _validator.Check(plan, _kernel.Plugins);

    [Fact]
    public void Check_ValidPlanWithToolsAndReferences_HasNoProblems()
    {
        var plan = Of(
            Step("s1") with { Tool = "text.search", Arguments = Args("""{"query": "flask"}""") },
            Step("s2", "s1") with { Tool = "text.echo", Arguments = Args("""{"text": "${s1.items[0].title}"}""") },
            Step("s3", "s2") with { Description = "Summarize ${s1} and ${s2}" },
            Step("s4", "s3") with { Kind = StepKind.Verify });

        Assert.Empty(Check(plan));
    }

    [Fact]
    public void Check_NoSteps_IsAProblem()
    {
        var problem = Assert.Single(Check(Of()));

        Assert.Equal(PlanProblemCode.NoSteps, problem.Code);
    }

    [Fact]
    public void Check_EmptyAndDuplicateIds_AreReported()
    {
        var problems = Check(Of(Step("s1"), Step(""), Step("s1"), Step("s1")));

        Assert.Contains(problems, p => p.Code == PlanProblemCode.EmptyId && p.Message.Contains("Step number 2", StringComparison.Ordinal));
        var duplicate = Assert.Single(problems, p => p.Code == PlanProblemCode.DuplicateId);
        Assert.Equal("s1", duplicate.StepId);
        Assert.Contains("3 steps", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_IdWithSpaces_IsInvalid()
    {
        var problem = Assert.Single(Check(Of(Step("step one"))));

        Assert.Equal(PlanProblemCode.InvalidId, problem.Code);
    }

    [Fact]
    public void Check_UnknownDependency_NamesItAndTheKnownIds()
    {
        var problem = Assert.Single(Check(Of(Step("s1"), Step("s2", "s9"))));

        Assert.Equal(PlanProblemCode.UnknownDependency, problem.Code);
        Assert.Equal("s2", problem.StepId);
        Assert.Contains("'s9'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("s1, s2", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Cycle_NamesTheCycle()
    {
        var problem = Assert.Single(Check(Of(Step("s0"), Step("s1", "s3"), Step("s2", "s1"), Step("s3", "s2", "s0"))));

        Assert.Equal(PlanProblemCode.Cycle, problem.Code);
        Assert.Contains("s1 → s3 → s2 → s1", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SelfDependency_IsACycle()
    {
        var problem = Assert.Single(Check(Of(Step("s1", "s1"))));

        Assert.Equal(PlanProblemCode.Cycle, problem.Code);
        Assert.Contains("depends on itself", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_TwoSeparateCycles_AreBothReported()
    {
        var problems = Check(Of(Step("a", "b"), Step("b", "a"), Step("c", "d"), Step("d", "c"), Step("e", "a")));

        Assert.Equal(2, problems.Count(p => p.Code == PlanProblemCode.Cycle));
    }

    [Fact]
    public void Check_UnknownTool_SuggestsTheClosestName()
    {
        var problem = Assert.Single(Check(Of(Step("s1") with { Tool = "text.ecko", Arguments = Args("""{"text": "x"}""") })));

        Assert.Equal(PlanProblemCode.UnknownTool, problem.Code);
        Assert.Contains("Did you mean 'text.echo'?", problem.Message, StringComparison.Ordinal);
        Assert.Contains("math.add", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("text.echo")]
    [InlineData("text-echo")]
    [InlineData("text_echo")]
    [InlineData("echo")]
    [InlineData("TEXT.ECHO")]
    public void Check_ToolNameForms_AreAccepted(string tool)
    {
        Assert.Empty(Check(Of(Step("s1") with { Tool = tool, Arguments = Args("""{"text": "x"}""") })));
    }

    [Fact]
    public void Check_UnknownAndMissingArguments_AreBothReported()
    {
        var problems = Check(Of(Step("s1") with { Tool = "math.add", Arguments = Args("""{"a": 1, "c": 2}""") }));

        var unknown = Assert.Single(problems, p => p.Code == PlanProblemCode.UnknownArgument);
        Assert.Contains("'c'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("a (required), b (required)", unknown.Message, StringComparison.Ordinal);
        var missing = Assert.Single(problems, p => p.Code == PlanProblemCode.MissingArgument);
        Assert.Contains("'b'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_OptionalArgumentLeftOut_IsFine()
    {
        Assert.Empty(Check(Of(Step("s1") with { Tool = "math.scale", Arguments = Args("""{"value": 3}""") })));
    }

    [Fact]
    public void Check_ArgumentsWithoutTool_IsAProblem()
    {
        var problem = Assert.Single(Check(Of(Step("s1") with { Arguments = Args("""{"q": 1}""") })));

        Assert.Equal(PlanProblemCode.ArgumentsWithoutTool, problem.Code);
    }

    [Fact]
    public void Check_SubgoalWithTool_IsAProblem()
    {
        var problem = Assert.Single(Check(Of(Step("s1") with { Kind = StepKind.Subgoal, Tool = "text.echo", Arguments = Args("""{"text": "x"}""") })));

        Assert.Equal(PlanProblemCode.SubgoalWithTool, problem.Code);
    }

    [Fact]
    public void Check_ReferenceToNonDependency_SaysToAddTheDependency()
    {
        var plan = Of(
            Step("s1"),
            Step("s2"),
            Step("s3", "s2") with { Tool = "text.echo", Arguments = Args("""{"text": "${s1.title}"}""") });

        var problem = Assert.Single(Check(plan));

        Assert.Equal(PlanProblemCode.ReferenceNotDependency, problem.Code);
        Assert.Equal("s3", problem.StepId);
        Assert.Contains("Add \"s1\" to this step's dependencies", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ReferenceToTransitiveDependency_IsFine()
    {
        var plan = Of(
            Step("s1"),
            Step("s2", "s1"),
            Step("s3", "s2") with { Tool = "text.echo", Arguments = Args("""{"text": "${s1}"}""") });

        Assert.Empty(Check(plan));
    }

    [Fact]
    public void Check_ReferenceToUnknownStep_AndMalformedReference_AreReported()
    {
        var plan = Of(
            Step("s1") with { Description = "use ${nope} and ${s1.items[x]}" });

        var problems = Check(plan);

        Assert.Contains(problems, p => p.Code == PlanProblemCode.UnknownReference && p.Message.Contains("${nope}", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Code == PlanProblemCode.InvalidReference && p.Message.Contains("malformed index", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_FallbackToolAndReferences_AreChecked()
    {
        var plan = Of(
            Step("s1"),
            Step("s2") with
            {
                Fallback = new StepFallback { Description = "retry with ${s1}", Tool = "text.nothing" },
            });

        var problems = Check(plan);

        Assert.Contains(problems, p => p.Code == PlanProblemCode.UnknownTool && p.Message.StartsWith("fallback", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Code == PlanProblemCode.ReferenceNotDependency && p.Message.StartsWith("fallback description", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_TooManySteps_IsReported()
    {
        var validator = new PlanValidator(new PlanValidationOptions { MaxSteps = 2 });

        var problem = Assert.Single(validator.Check(Of(Step("a"), Step("b"), Step("c")), _kernel.Plugins));

        Assert.Equal(PlanProblemCode.TooManySteps, problem.Code);
        Assert.Contains("at most 2", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ManyProblems_ThrowsOneExceptionListingAll()
    {
        var plan = Of(
            Step("s1", "ghost"),
            Step("s1"),
            Step("s3") with { Tool = "nothing.here" },
            Step("s4", "s4"));

        var ex = Assert.Throws<PlanValidationException>(() => _validator.Validate(plan, _kernel.Plugins));

        Assert.Equal(4, ex.Problems.Count);
        Assert.StartsWith("The plan is not valid (4 problems):", ex.Message, StringComparison.Ordinal);
        Assert.Equal(4, ex.ProblemList.Split('\n').Length);
    }

    [Fact]
    public void Check_ThousandStepChain_IsValidAndFinishes()
    {
        var steps = Enumerable.Range(0, 1000)
            .Select(i => i == 0 ? Step("s0") : Step($"s{i}", $"s{i - 1}") with { Description = $"use ${{s{i - 1}}}" })
            .ToArray();
        var validator = new PlanValidator(new PlanValidationOptions { MaxSteps = 1000 });

        Assert.Empty(validator.Check(Of(steps), _kernel.Plugins));
    }
}
