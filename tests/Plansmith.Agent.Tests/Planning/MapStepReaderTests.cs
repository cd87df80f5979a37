using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Tests.TestSupport;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>Map steps as the reader expands them, and the problems of maps it cannot expand.</summary>
public sealed class MapStepReaderTests
{
    private static IReadOnlyList<PlanProblem> Validate(Plan plan) => new PlanValidator().Check(plan, TestKernels.WithTestPlugins().Plugins);

    private static PlanProblem SingleProblem(string reply)
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(reply));
        return Assert.Single(ex.Problems);
    }

    [Fact]
    public void Parse_MapStep_ExpandsIntoOneToolStepPerItemAndACollectStepUnderItsId()
    {
        var plan = PlanReader.Parse("""
            {"steps": [
              {"id": "s0", "tool": "text.echo", "a": {"text": "web"}},
              {"id": "s1", "tool": "text.search", "map": {"query": ["Flask ${s0}", "Django"]}, "a": {"top": 1}, "after": ["s0"]},
              {"id": "s2", "do": "Compare ${s1}"}
            ]}
            """);

        Assert.Equal(["s0", "s1_1", "s1_2", "s1", "s2"], plan.Steps.Select(s => s.Id));
        var first = plan.Steps[1];
        Assert.Equal("text.search", first.Tool);
        Assert.Equal("Flask ${s0}", first.Arguments["query"].GetString());
        Assert.Equal(1, first.Arguments["top"].GetInt32());
        Assert.Equal(["s0"], first.Dependencies);
        Assert.Equal("text.search(query: \"Flask {s0}\", top: 1)", first.Description);
        Assert.Equal("Django", plan.Steps[2].Arguments["query"].GetString());
        var collect = plan.Steps[3];
        Assert.Equal(StepKind.Collect, collect.Kind);
        Assert.Null(collect.Tool);
        Assert.Equal(["s1_1", "s1_2"], collect.Dependencies);
        Assert.Equal(["s1"], plan.Steps[4].Dependencies);
        Assert.Empty(Validate(plan));
    }

    [Fact]
    public void Parse_MapStepInLineForm_IsTheSameAsInJson()
    {
        var json = PlanReader.Parse("""{"steps": [{"id": "s1", "tool": "text.search", "map": {"query": ["a", "b", "c"]}, "arguments": {"top": 2}}]}""");
        var lines = PlanReader.Parse("""s1 = text.search(query in ["a", "b", "c"], top=2)""");

        Assert.Equal(PlanJson.Serialize(json), PlanJson.Serialize(lines));
        Assert.Equal("The results of text.search for s1_1…s1_3", lines.Steps[^1].Description);
    }

    [Fact]
    public void Parse_MapOverTwoLists_TakesOneValueOfEachPerItem()
    {
        var plan = PlanReader.Parse("""s1 = math.add(a in [1, 2], b in [10, 20])""");

        Assert.Equal([11, 22], plan.Steps.Take(2).Select(s => s.Arguments["a"].GetInt32() + s.Arguments["b"].GetInt32()));
    }

    [Fact]
    public void Parse_ExpandedMap_RoundTripsThroughTheCanonicalJson()
    {
        var plan = PlanReader.Parse("""s1 = text.search(query in ["a", "b"]) "Search both" """, goal: "g");

        var json = PlanJson.Serialize(plan);
        var again = PlanJson.Deserialize(json);

        Assert.Equal(json, PlanJson.Serialize(again));
        Assert.Contains("\"kind\": \"collect\"", json, StringComparison.Ordinal);
        Assert.Equal("Search both", again.FindStep("s1")!.Description);
    }

    [Fact]
    public void Parse_MapOverEmptyList_IsAnInvalidMapThatSaysSo()
    {
        var problem = SingleProblem("""{"steps": [{"id": "s1", "tool": "text.search", "map": {"query": []}}]}""");

        Assert.Equal(PlanProblemCode.InvalidMap, problem.Code);
        Assert.Equal("s1", problem.StepId);
        Assert.Contains("maps argument 'query' over an empty list", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapOverAValueThatIsNoList_IsAnInvalidMapThatShowsAList()
    {
        var problem = SingleProblem("""s1 = text.search(query in "Flask")""");

        Assert.Equal(PlanProblemCode.InvalidMap, problem.Code);
        Assert.Contains("maps argument 'query' over a string, not a list", problem.Message, StringComparison.Ordinal);
        Assert.Contains("\"query\": [\"first\", \"second\"]", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapThatIsNoObject_IsAnInvalidMap()
    {
        var problem = SingleProblem("""{"steps": [{"id": "s1", "tool": "text.search", "map": ["a", "b"]}]}""");

        Assert.Equal(PlanProblemCode.InvalidMap, problem.Code);
        Assert.Contains("map is an array of 2 items; give an object of argument names to lists", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapListsOfDifferentLengths_NameTheLengths()
    {
        var problem = SingleProblem("""s1 = math.add(a in [1, 2], b in [10])""");

        Assert.Contains("lists of different lengths (a: 2, b: 1)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MapWithoutTool_SaysAMapNeedsOne()
    {
        var problem = SingleProblem("""{"steps": [{"id": "s1", "do": "Search", "map": {"query": ["a"]}}]}""");

        Assert.Contains("has a map but no tool", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_StepWithTheIdOfAMapItem_IsADuplicateNamingTheMap()
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse("""
            s1 = text.search(query in ["a", "b"])
            s1_2 = text.echo(text="x")
            """));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal(PlanProblemCode.DuplicateId, problem.Code);
        Assert.Equal("s1_2", problem.StepId);
        Assert.Contains("item of map step 's1'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_MapOverUnknownTool_IsOneProblemOnTheMapStepNotOnePerItem()
    {
        var plan = PlanReader.Parse("""s1 = text.serch(query in ["a", "b", "c"])""");

        var problem = Assert.Single(Validate(plan));

        Assert.Equal(PlanProblemCode.UnknownTool, problem.Code);
        Assert.Equal("s1", problem.StepId);
        Assert.StartsWith("items s1_1…s1_3: uses tool 'text.serch', which does not exist. Did you mean 'text.search'?", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_FieldOfAMapStep_SaysHowToReferToOneItem()
    {
        var plan = PlanReader.Parse("""
            s1 = text.search(query in ["a", "b"])
            s2 = text.echo(text="${s1.2}")
            """);

        var problem = Assert.Single(Validate(plan));

        Assert.Equal(PlanProblemCode.InvalidReference, problem.Code);
        Assert.Equal("s2", problem.StepId);
        Assert.Contains("Refer to item 2 as ${s1_2} or ${s1[1]}", problem.Message, StringComparison.Ordinal);
    }
}
