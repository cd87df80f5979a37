using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Tests.TestSupport;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Plans;

/// <summary>Collect steps (what map steps become) under the validator, and references as dependencies.</summary>
public sealed class CollectStepTests
{
    private readonly Kernel _kernel = TestKernels.WithTestPlugins();

    private IReadOnlyList<PlanProblem> Check(Plan plan) => new PlanValidator().Check(plan, _kernel.Plugins);

    private static PlanStep Search(string id, string query) =>
        Step(id) with { Tool = "text.search", Arguments = Args($$"""{"query": "{{query}}"}""") };

    [Fact]
    public void Check_CollectStepWithToolAndNoDependencies_IsAnInvalidMapTwice()
    {
        var problems = Check(Of(Step("s1") with { Kind = StepKind.Collect, Tool = "text.search", Arguments = Args("""{"query": "a"}""") }));

        Assert.Equal(2, problems.Count(p => p.Code == PlanProblemCode.InvalidMap && p.StepId == "s1"));
        Assert.Contains(problems, p => p.Message.Contains("collects nothing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Message.Contains("names tool 'text.search'", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_ItemsWithDifferentProblems_KeepEachOnItsItem()
    {
        var plan = Of(
            Search("m_1", "a") with { Tool = "text.nope" },
            Search("m_2", "b") with { Arguments = Args("""{"query": "b", "bogus": 1}""") },
            Step("m", "m_1", "m_2") with { Kind = StepKind.Collect });

        var problems = Check(plan);

        Assert.Equal([("m_1", PlanProblemCode.UnknownTool), ("m_2", PlanProblemCode.UnknownArgument)], problems.Select(p => (p.StepId!, p.Code)));
    }

    [Fact]
    public void Check_TooManyStepsWithAMap_SaysHowMapsCount()
    {
        var plan = Of(Search("m_1", "a"), Search("m_2", "b"), Step("m", "m_1", "m_2") with { Kind = StepKind.Collect });

        var problem = Assert.Single(new PlanValidator(new PlanValidationOptions { MaxSteps = 2 }).Check(plan, _kernel.Plugins));

        Assert.Equal(PlanProblemCode.TooManySteps, problem.Code);
        Assert.EndsWith("A map step counts as one step per item plus one.", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_ReferencesInFallbackAndDescription_BecomeDependencies()
    {
        var plan = Of(
            Step("s1"),
            Step("s2"),
            Step("s3") with { Description = "Use ${s1}", Fallback = new StepFallback { Tool = "text.echo", Arguments = Args("""{"text": "${s2.x}"}""") } });

        var added = ImpliedDependencies.Add(plan);

        Assert.Equal(["s1", "s2"], added.Steps[2].Dependencies);
        Assert.Empty(Check(added));
        Assert.Contains(Check(plan), p => p.Code == PlanProblemCode.ReferenceNotDependency);
    }

    [Fact]
    public void Add_NothingMissing_ReturnsThePlanItself()
    {
        var plan = Of(Step("s1"), Step("s2", "s1") with { Description = "Use ${s1}" });

        Assert.Same(plan, ImpliedDependencies.Add(plan));
    }

    [Fact]
    public void Deserialize_CollectKind_RoundTrips()
    {
        var plan = Of(Search("m_1", "a"), Step("m", "m_1") with { Kind = StepKind.Collect });

        var again = PlanJson.Deserialize(PlanJson.Serialize(plan));

        Assert.Equal(StepKind.Collect, again.FindStep("m")!.Kind);
        Assert.Equal(["m_1"], again.FindStep("m")!.Dependencies);
    }
}
