using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Plans;

public sealed class PlanGraphTests
{
    private static List<string> Ids(PlanGraph graph, IEnumerable<int> positions) => [.. positions.Select(i => graph.Steps[i].Id)];

    [Fact]
    public void TryGetTopologicalOrder_StepsWrittenBeforeTheirDependencies_ComeAfterThem()
    {
        var graph = new PlanGraph(Of(Step("c", "b"), Step("b", "a"), Step("a")));

        Assert.True(graph.TryGetTopologicalOrder(out var order));

        Assert.Equal(["a", "b", "c"], Ids(graph, order));
    }

    [Fact]
    public void TryGetTopologicalOrder_StepsFreeAtTheSameTime_TakeTheOneWrittenFirst()
    {
        var graph = new PlanGraph(Of(Step("late", "early"), Step("early"), Step("other"), Step("last", "other", "late")));

        Assert.True(graph.TryGetTopologicalOrder(out var order));

        Assert.Equal(["early", "late", "other", "last"], Ids(graph, order));
    }

    [Fact]
    public void TryGetTopologicalOrder_PlanInDependencyOrder_IsUnchanged()
    {
        var graph = new PlanGraph(Of(Step("s1"), Step("s2"), Step("s3", "s1"), Step("s4", "s3", "s2")));

        Assert.True(graph.TryGetTopologicalOrder(out var order));

        Assert.Equal([0, 1, 2, 3], order);
    }

    [Fact]
    public void TryGetTopologicalOrder_Cycle_IsFalseAndLeavesOutStepsThatCanNeverStart()
    {
        var graph = new PlanGraph(Of(Step("a"), Step("b", "c"), Step("c", "b"), Step("d", "b"), Step("e", "a")));

        Assert.False(graph.TryGetTopologicalOrder(out var order));

        Assert.Equal(["a", "e"], Ids(graph, order));
    }

    [Fact]
    public void FindCycles_Cycle_IsNamedAsTheValidatorNamesIt()
    {
        var plan = Of(Step("s0"), Step("s1", "s3"), Step("s2", "s1"), Step("s3", "s2", "s0"));
        var graph = new PlanGraph(plan);

        var cycle = Assert.Single(graph.FindCycles());

        Assert.Equal(["s1", "s3", "s2", "s1"], Ids(graph, cycle));
        Assert.Equal("s1 → s3 → s2 → s1", graph.DescribeCycle(cycle));
        var problem = Assert.Single(new PlanValidator().Check(plan, new Kernel().Plugins));
        Assert.Equal(PlanProblemCode.Cycle, problem.Code);
        Assert.Equal("s1", problem.StepId);
        Assert.Contains("cycle " + graph.DescribeCycle(cycle) + " (s1 depends on s3, s3 depends on s2, s2 depends on s1)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindCycles_SelfDependency_IsTheStepTwice()
    {
        var plan = Of(Step("a"), Step("b", "a", "b"));
        var graph = new PlanGraph(plan);

        var cycle = Assert.Single(graph.FindCycles());

        Assert.Equal([1, 1], cycle);
        Assert.Equal("b → b", graph.DescribeCycle(cycle));
        var problem = Assert.Single(new PlanValidator().Check(plan, new Kernel().Plugins));
        Assert.Contains("(cycle b → b)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindCycles_TwoSeparateCycles_NamesOneEachFromItsFirstWrittenStep()
    {
        var graph = new PlanGraph(Of(Step("e", "d"), Step("a", "b"), Step("b", "a"), Step("c", "d"), Step("d", "c")));

        var names = graph.FindCycles().Select(graph.DescribeCycle).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(["a → b → a", "c → d → c"], names);
    }

    [Fact]
    public void FindCycles_GroupWithSeveralCircles_TakesTheShortestWayBack()
    {
        var graph = new PlanGraph(Of(Step("a", "b"), Step("b", "c", "a"), Step("c", "a")));

        var cycle = Assert.Single(graph.FindCycles());

        Assert.Equal("a → b → a", graph.DescribeCycle(cycle));
    }

    [Fact]
    public void FindCycles_NoCycle_IsEmpty()
    {
        var graph = new PlanGraph(Of(Step("a"), Step("b", "a"), Step("c", "a", "b"), Step("d", "missing")));

        Assert.Empty(graph.FindCycles());
    }

    [Fact]
    public void FindCycles_LongChainClosedIntoACircle_IsFoundWithoutOverflowingTheStack()
    {
        const int count = 20_000;
        var steps = Enumerable.Range(0, count).Select(i => Step("s" + i, "s" + ((i + 1) % count))).ToArray();
        var graph = new PlanGraph(Of(steps));

        var cycle = Assert.Single(graph.FindCycles());

        Assert.Equal(count + 1, cycle.Count);
        Assert.Equal(0, cycle[0]);
        Assert.Equal(1, cycle[1]);
        Assert.Equal(0, cycle[^1]);
    }

    [Fact]
    public void DependentsOf_ListsTheStepsThatWaitForIt_InPlanOrder()
    {
        var graph = new PlanGraph(Of(Step("b", "a"), Step("a"), Step("c", "a", "b"), Step("d", "c")));

        Assert.Equal(["b", "c"], Ids(graph, graph.DependentsOf(1)));
        Assert.Equal(["c"], Ids(graph, graph.DependentsOf(0)));
        Assert.Equal(["d"], Ids(graph, graph.DependentsOf(2)));
        Assert.Empty(graph.DependentsOf(3));
    }

    [Fact]
    public void DependencyCount_CountsEachKnownDependencyOnce_AndUnknownOnesAreListed()
    {
        var graph = new PlanGraph(Of(Step("a"), Step("b", "a", "a", "zz", "zz")));

        Assert.Equal(1, graph.DependencyCount(1));
        Assert.Equal([0], graph.DependenciesOf(1));
        Assert.Equal(["zz", "zz"], graph.UnknownDependenciesOf(1));
        Assert.Equal(0, graph.DependencyCount(0));
    }

    [Fact]
    public void AncestorsOf_FollowsDependenciesThroughOtherSteps()
    {
        var graph = new PlanGraph(Of(Step("a"), Step("b", "a"), Step("c", "b"), Step("d")));

        Assert.Equal(["a", "b"], Ids(graph, graph.AncestorsOf(2)).Order(StringComparer.Ordinal));
        Assert.Empty(graph.AncestorsOf(0));
    }

    [Fact]
    public void Ids_RepeatedOrBlankIds_NameTheFirstStepOnlyAndCloseNoCycle()
    {
        var graph = new PlanGraph(Of(Step("s1"), Step(""), Step("s2", "s1"), Step("s1", "s2")));

        Assert.Equal(["s1", "s2"], graph.Ids);
        Assert.True(graph.TryGetIndex("s1", out var first));
        Assert.Equal(0, first);
        Assert.False(graph.Contains(""));
        Assert.Equal(["s2"], Ids(graph, graph.DependentsOf(0)));
        Assert.Empty(graph.DependentsOf(3));
        Assert.Empty(graph.FindCycles());
        Assert.True(graph.TryGetTopologicalOrder(out var order));
        Assert.Equal([0, 1, 2, 3], order);
    }
}
