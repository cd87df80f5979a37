using System.Text.Json;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Planning;

public sealed class PlanReaderTests
{
    [Fact]
    public void Parse_ContractExample_ReadsEveryField()
    {
        const string json = """
            { "steps": [
              { "id": "s1", "description": "Search for Flask's routing model", "dependencies": [],
                "kind": "action", "tool": "search.search", "arguments": { "query": "Flask routing", "top": 3 } },
              { "id": "s2", "description": "Compare the findings", "dependencies": ["s1"],
                "kind": "action", "agent": "analyst",
                "fallback": { "description": "Summarize ${s1} without code", "tool": null } },
              { "id": "s3", "description": "Check every framework is covered", "dependencies": ["s2"], "kind": "verify" }
            ] }
            """;

        var plan = PlanReader.Parse(json, goal: "Compare web frameworks");

        Assert.Equal("Compare web frameworks", plan.Goal);
        Assert.Equal(["s1", "s2", "s3"], plan.Steps.Select(s => s.Id));
        var s1 = plan.Steps[0];
        Assert.Equal("search.search", s1.Tool);
        Assert.Equal("Flask routing", s1.Arguments["query"].GetString());
        Assert.Equal(3, s1.Arguments["top"].GetInt32());
        Assert.Empty(s1.Dependencies);
        var s2 = plan.Steps[1];
        Assert.Equal("analyst", s2.Agent);
        Assert.Null(s2.Tool);
        Assert.Equal("Summarize ${s1} without code", s2.Fallback!.Description);
        Assert.Null(s2.Fallback.Tool);
        Assert.Equal(StepKind.Verify, plan.Steps[2].Kind);
        Assert.Equal(["s2"], plan.Steps[2].Dependencies);
    }

    [Fact]
    public void Parse_JsonInCodeFenceAfterProse_FindsThePlan()
    {
        const string reply = """
            Sure! Here is the plan you asked for:

            ```json
            {"steps": [{"id": "a", "description": "first"}]}
            ```
            Let me know if you want changes.
            """;

        var plan = PlanReader.Parse(reply);

        Assert.Equal("a", Assert.Single(plan.Steps).Id);
    }

    [Fact]
    public void Parse_JsonAfterProseWithoutFence_FindsThePlan()
    {
        const string reply = "I will do this in {two} steps: {\"steps\": [{\"id\": 1, \"description\": \"x\"}, {\"id\": 2, \"description\": \"y\", \"dependencies\": [1]}]} Done.";

        var plan = PlanReader.Parse(reply);

        Assert.Equal(["1", "2"], plan.Steps.Select(s => s.Id));
        Assert.Equal(["1"], plan.Steps[1].Dependencies);
    }

    [Fact]
    public void Parse_UnclosedFence_StillReadsTheJson()
    {
        var plan = PlanReader.Parse("```json\n{\"steps\": [{\"id\": \"s1\", \"description\": \"d\"}]}\n");

        Assert.Single(plan.Steps);
    }

    [Fact]
    public void Parse_MissingDependencies_MeansNone()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "description": "d"}]}""");

        Assert.Empty(plan.Steps[0].Dependencies);
        Assert.Equal(StepKind.Action, plan.Steps[0].Kind);
    }

    [Fact]
    public void Parse_NumericIdsAndDependencies_BecomeStrings()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": 1, "description": "a"}, {"id": 2, "description": "b", "dependencies": [1]}]}""");

        Assert.Equal(["1", "2"], plan.Steps.Select(s => s.Id));
        Assert.Equal(["1"], plan.Steps[1].Dependencies);
    }

    [Theory]
    [InlineData("step_id", "depends_on", "tool_name", "tool_arguments")]
    [InlineData("stepId", "dependsOn", "toolName", "toolArguments")]
    [InlineData("StepId", "DependsOn", "Tool", "Arguments")]
    [InlineData("id", "deps", "function", "args")]
    public void Parse_KeyStylesAndSynonyms_AreAccepted(string idKey, string depsKey, string toolKey, string argsKey)
    {
        var json = $$$"""
            {"Steps": [
              {"{{{idKey}}}": "a", "Description": "first"},
              {"{{{idKey}}}": "b", "Description": "second", "{{{depsKey}}}": ["a"], "{{{toolKey}}}": "text.echo", "{{{argsKey}}}": {"text": "${a}"}}
            ]}
            """;

        var plan = PlanReader.Parse(json);

        Assert.Equal(["a"], plan.Steps[1].Dependencies);
        Assert.Equal("text.echo", plan.Steps[1].Tool);
        Assert.Equal("${a}", plan.Steps[1].Arguments["text"].GetString());
    }

    [Fact]
    public void Parse_BareArrayOfSteps_IsAPlan()
    {
        var plan = PlanReader.Parse("""[{"id": "s1", "description": "a"}, {"id": "s2", "description": "b", "dependencies": "s1"}]""");

        Assert.Equal(2, plan.Steps.Count);
        Assert.Equal(["s1"], plan.Steps[1].Dependencies);
    }

    [Fact]
    public void Parse_PlanWrappedInPlanObject_IsRead()
    {
        var plan = PlanReader.Parse("""{"plan": {"goal": "g", "steps": [{"id": "s1", "description": "a"}]}}""");

        Assert.Equal("g", plan.Goal);
        Assert.Single(plan.Steps);
    }

    [Fact]
    public void Parse_ArgumentsAsJsonString_AreDecoded()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "description": "a", "tool": "math.add", "arguments": "{\"a\": 1, \"b\": 2}"}]}""");

        Assert.Equal(2, plan.Steps[0].Arguments["b"].GetInt32());
    }

    [Fact]
    public void Parse_ToolAsObject_TakesNameAndArguments()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "description": "a", "tool": {"name": "math.add", "arguments": {"a": 1, "b": 2}}}]}""");

        Assert.Equal("math.add", plan.Steps[0].Tool);
        Assert.Equal(1, plan.Steps[0].Arguments["a"].GetInt32());
    }

    [Theory]
    [InlineData("Verification", StepKind.Verify)]
    [InlineData("sub_goal", StepKind.Subgoal)]
    [InlineData("ACTION", StepKind.Action)]
    public void Parse_KindSpellings_AreRecognised(string kind, StepKind expected)
    {
        var plan = PlanReader.Parse($$"""{"steps": [{"id": "s1", "description": "a", "kind": "{{kind}}"}]}""");

        Assert.Equal(expected, plan.Steps[0].Kind);
    }

    [Fact]
    public void Parse_ToolNoneOrNullString_MeansNoTool()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "description": "a", "tool": "none"}, {"id": "s2", "description": "b", "tool": ""}]}""");

        Assert.All(plan.Steps, s => Assert.Null(s.Tool));
    }

    [Fact]
    public void Parse_FallbackAsString_IsADescription()
    {
        var plan = PlanReader.Parse("""{"steps": [{"id": "s1", "description": "a", "fallback": "do it by hand"}]}""");

        Assert.Equal("do it by hand", plan.Steps[0].Fallback!.Description);
    }

    [Fact]
    public void Parse_TrailingCommasAndComments_AreTolerated()
    {
        var plan = PlanReader.Parse("""
            {"steps": [
              // the only step
              {"id": "s1", "description": "a",},
            ]}
            """);

        Assert.Single(plan.Steps);
    }

    [Theory]
    [InlineData("")]
    [InlineData("I cannot help with that.")]
    [InlineData("{\"steps\": [")]
    public void Parse_NoJson_ThrowsWithNoJsonProblem(string reply)
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(reply));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal(PlanProblemCode.NoJson, problem.Code);
        Assert.Contains("{\"steps\": [...]}", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JsonOfWrongShape_SaysWhatWasFound()
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse("""{"answer": 42}"""));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal(PlanProblemCode.InvalidShape, problem.Code);
        Assert.Contains("answer", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralBadSteps_ListsEveryProblem()
    {
        const string json = """
            {"steps": [
              "just a string",
              {"id": "s2", "description": "b", "kind": "dance"},
              {"id": "s3", "description": "c", "dependencies": {"x": 1}},
              {"id": "s4", "description": "d", "tool": "math.add", "arguments": [1, 2]}
            ]}
            """;

        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(json));

        Assert.Equal(
            [PlanProblemCode.InvalidShape, PlanProblemCode.UnknownKind, PlanProblemCode.InvalidShape, PlanProblemCode.InvalidShape],
            ex.Problems.Select(p => p.Code));
        Assert.Equal([null, "s2", "s3", "s4"], ex.Problems.Select(p => p.StepId));
        Assert.Contains("- step 's2': kind \"dance\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Garbage_ReturnsFalseWithProblems()
    {
        var ok = PlanReader.TryParse("nope", out var plan, out var problems);

        Assert.False(ok);
        Assert.Null(plan);
        Assert.NotEmpty(problems);
    }

    [Fact]
    public void Serialize_ThenParse_RoundTrips()
    {
        var original = PlanReader.Parse("""
            {"goal": "g", "steps": [
              {"id": "s1", "description": "a", "tool": "math.add", "arguments": {"a": 1, "b": {"nested": [1, "x"]}}},
              {"id": "s2", "description": "b", "dependencies": ["s1"], "kind": "verify", "agent": "critic",
               "fallback": {"description": "fb", "tool": "text.echo", "arguments": {"text": "${s1}"}}},
              {"id": "s3", "description": "c", "dependencies": ["s1", "s2"], "kind": "subgoal"}
            ]}
            """);

        var json = PlanJson.Serialize(original);
        var again = PlanReader.Parse(json);

        Assert.Equal(json, PlanJson.Serialize(again));
        using var document = JsonDocument.Parse(json);
        var s2 = document.RootElement.GetProperty("steps")[1];
        Assert.Equal("verify", s2.GetProperty("kind").GetString());
        Assert.Equal("${s1}", s2.GetProperty("fallback").GetProperty("arguments").GetProperty("text").GetString());
        Assert.Equal("subgoal", document.RootElement.GetProperty("steps")[2].GetProperty("kind").GetString());
    }
}
