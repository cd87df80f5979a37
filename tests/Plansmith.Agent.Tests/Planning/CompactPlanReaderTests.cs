using System.Text.Json;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>The compact forms a planner is asked for: short keys, optional descriptions, implied dependencies, one step per line.</summary>
public sealed class CompactPlanReaderTests
{
    /// <summary>The plan every compact form below must read as, in today's full form.</summary>
    private const string FullForm = """
        { "steps": [
          { "id": "s1", "description": "search.search(query: \"Flask routing\", top: 3)", "dependencies": [], "kind": "action",
            "tool": "search.search", "arguments": { "query": "Flask routing", "top": 3 } },
          { "id": "s2", "description": "Compare ${s1} with what you know", "dependencies": ["s1"], "kind": "action", "agent": "analyst",
            "fallback": { "description": "Summarize ${s1} without code", "tool": null } },
          { "id": "s3", "description": "Every framework is covered in ${s2}", "dependencies": ["s2", "s1"], "kind": "verify" },
          { "id": "s4", "description": "Plan the migration", "dependencies": ["s3"], "kind": "subgoal" }
        ] }
        """;

    private static string Canonical(string text) => PlanJson.Serialize(PlanReader.Parse(text, goal: "g"));

    [Fact]
    public void Parse_CompactJson_ReadsTheSamePlanAsTheFullForm()
    {
        const string compact = """
            {"steps":[
            {"id":"s1","t":"search.search","a":{"query":"Flask routing","top":3}},
            {"id":"s2","do":"Compare ${s1} with what you know","agent":"analyst","fallback":"Summarize ${s1} without code"},
            {"id":"s3","d":"Every framework is covered in ${s2}","kind":"verify","dep":["s2","s1"]},
            {"id":"s4","do":"Plan the migration","kind":"subgoal","after":"s3"}]}
            """;

        Assert.Equal(Canonical(FullForm), Canonical(compact));
    }

    [Fact]
    public void Parse_LineForm_ReadsTheSamePlanAsTheFullForm()
    {
        const string lines = """
            s1 = search.search(query="Flask routing", top=3)
            s2 = @analyst "Compare ${s1} with what you know" else "Summarize ${s1} without code"
            s3 = verify "Every framework is covered in ${s2}" after s2, s1
            s4 = subgoal "Plan the migration" after s3
            """;

        Assert.Equal(Canonical(FullForm), Canonical(lines));
    }

    [Fact]
    public void Parse_JsonWithStepLines_ReadsTheSamePlanAsTheFullForm()
    {
        const string compact = """
            {"steps": [
              "s1 = search.search(query=\"Flask routing\", top=3)",
              "s2 = @analyst 'Compare ${s1} with what you know' else 'Summarize ${s1} without code'",
              {"id": "s3", "d": "Every framework is covered in ${s2}", "kind": "verify", "dep": ["s2", "s1"]},
              "s4 = subgoal 'Plan the migration' after s3"
            ]}
            """;

        Assert.Equal(Canonical(FullForm), Canonical(compact));
    }

    [Fact]
    public void Parse_SingleQuotedTextWithAnApostrophe_KeepsTheApostrophe()
    {
        var plan = PlanReader.Parse("""{"steps": ["s1 = 'Summarize Flask's routing'"]}""");

        Assert.Equal("Summarize Flask's routing", plan.Steps[0].Description);
    }

    [Fact]
    public void Parse_LineFormInFenceAfterProse_IgnoresTheProseAndTheFence()
    {
        const string reply = """
            Here is the plan:
            ```
            s1 = text.echo(text="a")  # the first step
            s2 = text.upper(text="${s1}");
            ```
            I hope this helps.
            """;

        var plan = PlanReader.Parse(reply);

        Assert.Equal(["s1", "s2"], plan.Steps.Select(s => s.Id));
        Assert.Equal("${s1}", plan.Steps[1].Arguments["text"].GetString());
    }

    [Fact]
    public void Parse_ToolStepWithoutDescription_DerivesOneFromToolAndArguments()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "tool": "search.search", "args": {"query": "Flask", "top": 2}}]}""");

        Assert.Equal("search.search(query: \"Flask\", top: 2)", plan.Steps[0].Description);
    }

    [Fact]
    public void Parse_DerivedDescription_ShowsReferencesWithoutTheDollarAndCutsLongValues()
    {
        var text = "${s1.items[0].title} and $${literal} " + new string('x', 80);

        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "tool": "t.a"}, {"id": "s2", "tool": "text.echo", "args": {"text": """ + JsonSerializer.Serialize(text) + "}}]}");

        var description = plan.Steps[1].Description;
        Assert.StartsWith("text.echo(text: \"{s1.items[0].title} and {literal} xxx", description, StringComparison.Ordinal);
        Assert.EndsWith("x…)", description, StringComparison.Ordinal);
        Assert.DoesNotContain("$", description, StringComparison.Ordinal);
        Assert.Equal(["s1"], plan.Steps[1].Dependencies);
    }

    [Fact]
    public void Parse_ReferenceToAStepNotListed_AddsTheImpliedDependency()
    {
        var plan = PlanReader.Parse("""
            s1 = text.echo(text="a")
            s2 = text.echo(text="b")
            s3 = text.echo(text="${s1} and ${s2.x}") after s2
            """);

        Assert.Equal(["s2", "s1"], plan.Steps[2].Dependencies);
    }

    [Fact]
    public void Parse_ReferenceToAStepAlreadyWaitedFor_AddsNothing()
    {
        var plan = PlanReader.Parse("""
            s1 = text.echo(text="a")
            s2 = text.upper(text="${s1}")
            s3 = "Use ${s1} and ${s2}" after s2
            """);

        Assert.Equal(["s2"], plan.Steps[2].Dependencies);
    }

    [Fact]
    public void Parse_ReferenceToAnUnknownStep_AddsNoDependencyAndTheValidatorNamesIt()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "tool": "text.echo", "a": {"text": "${s9}"}}]}""");

        Assert.Empty(plan.Steps[0].Dependencies);
        var problem = Assert.Single(new PlanValidator().Check(plan, TestSupport.TestKernels.WithTestPlugins().Plugins));
        Assert.Equal(PlanProblemCode.UnknownReference, problem.Code);
    }

    [Fact]
    public void Parse_LineFormWithValuesModelsWriteInPython_ToleratesThem()
    {
        var plan = PlanReader.Parse("""
            1. s1 = math.sum(values=[1, 2.5,
                  3], strict=True, note=None, label='it\'s', tag=draft)
            """);

        var arguments = plan.Steps[0].Arguments;
        Assert.Equal(3, arguments["values"].GetArrayLength());
        Assert.True(arguments["strict"].GetBoolean());
        Assert.Equal(JsonValueKind.Null, arguments["note"].ValueKind);
        Assert.Equal("it's", arguments["label"].GetString());
        Assert.Equal("draft", arguments["tag"].GetString());
    }

    [Fact]
    public void Parse_LineFormToolStepWithDescriptionAndToolFallback_ReadsBoth()
    {
        var plan = PlanReader.Parse("""s1 = files.read(path="a.md") "Read the notes" else files.read(path="b.md")""");

        var step = plan.Steps[0];
        Assert.Equal("Read the notes", step.Description);
        Assert.Equal("files.read", step.Fallback!.Tool);
        Assert.Equal("b.md", step.Fallback.Arguments["path"].GetString());
    }

    [Theory]
    [InlineData("step-1 = text.echo(text=\"a\")", "step-1", "text.echo", "")]
    [InlineData("- s2 = \"x\" after [s0, s1]", "s2", null, "s0,s1")]
    [InlineData("s2 = 'x' after s0 s1 # both", "s2", null, "s0,s1")]
    [InlineData("s1: action.run()", "s1", "action.run", "")]
    [InlineData("s1 = verify.check(x=1)\r", "s1", "verify.check", "")]
    public void Parse_LineFormVariants_ReadTheStep(string line, string id, string? tool, string dependencies)
    {
        var step = Assert.Single(PlanReader.Parse(line).Steps);

        Assert.Equal(id, step.Id);
        Assert.Equal(tool, step.Tool);
        Assert.Equal(dependencies, string.Join(",", step.Dependencies));
    }

    [Fact]
    public void Parse_LineFormPositionalArgument_SaysToNameIt()
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse("s1 = search.search(\"Flask\")"));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("s1", problem.StepId);
        Assert.Contains("argument 1 of search.search has no name; write name=value", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LineFormBrokenLines_ListsEveryProblemWithItsLine()
    {
        const string reply = """
            s1 = text.echo(text="a"
            s2 = text.echo(text="b") then s1
            this line is not a step
            s3 = text.echo(text="c")
            """;

        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(reply));

        Assert.Equal(3, ex.Problems.Count);
        Assert.Contains("line 1", ex.Problems[0].Message, StringComparison.Ordinal);
        Assert.Equal("s2", ex.Problems[1].StepId);
        Assert.Contains("unexpected \"then s1\"", ex.Problems[1].Message, StringComparison.Ordinal);
        Assert.StartsWith("Line 3 (\"this line is not a step\") is not a step", ex.Problems[2].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x = 5")]
    [InlineData("Note: the plan follows.")]
    public void Parse_ProseThatIsNoStep_IsStillNoPlan(string reply)
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(reply));

        Assert.Equal(PlanProblemCode.NoJson, Assert.Single(ex.Problems).Code);
    }

    [Fact]
    public void Parse_JsonWhoseArgumentsHoldEquals_IsStillReadAsJson()
    {
        var plan = PlanReader.Parse("""
            ```json
            {"steps": [{"id": "s1", "description": "x", "tool": "text.echo", "arguments": {"text": "a = \"b\""}}]}
            ```
            """);

        Assert.Equal("a = \"b\"", plan.Steps[0].Arguments["text"].GetString());
    }
}
