using Plansmith.Agent.Plans;
using static Plansmith.Agent.Tests.TestSupport.TestPlans;

namespace Plansmith.Agent.Tests.Plans;

public sealed class PlanJsonTests
{
    [Fact]
    public void Deserialize_ContractExample_ReadsEveryField()
    {
        const string json = """
            { "goal": "Compare web frameworks", "steps": [
              { "id": "s1", "description": "Search for Flask's routing model", "dependencies": [],
                "kind": "action", "tool": "search.search", "arguments": { "query": "Flask routing", "top": 3 } },
              { "id": "s2", "description": "Compare the findings", "dependencies": ["s1"],
                "kind": "action", "agent": "analyst",
                "fallback": { "description": "Summarize ${s1} without code", "tool": null } },
              { "id": "s3", "description": "Check every framework is covered", "dependencies": ["s2"], "kind": "verify" }
            ] }
            """;

        var plan = PlanJson.Deserialize(json);

        Assert.Equal("Compare web frameworks", plan.Goal);
        Assert.Equal(["s1", "s2", "s3"], plan.Steps.Select(s => s.Id));
        Assert.Equal("search.search", plan.Steps[0].Tool);
        Assert.Equal(3, plan.Steps[0].Arguments["top"].GetInt32());
        Assert.Equal("analyst", plan.Steps[1].Agent);
        Assert.Equal("Summarize ${s1} without code", plan.Steps[1].Fallback!.Description);
        Assert.Null(plan.Steps[1].Fallback!.Tool);
        Assert.Equal(StepKind.Verify, plan.Steps[2].Kind);
        Assert.Equal(["s2"], plan.Steps[2].Dependencies);
    }

    [Fact]
    public void Serialize_ThenDeserialize_RoundTrips()
    {
        var original = new Plan(
        [
            new PlanStep { Id = "s1", Description = "a", Tool = "math.add", Arguments = Args("""{"a": 1, "b": {"nested": [1, "x"]}}""") },
            new PlanStep
            {
                Id = "s2",
                Description = "b",
                Dependencies = ["s1"],
                Kind = StepKind.Verify,
                Agent = "critic",
                Fallback = new StepFallback { Description = "fb", Tool = "text.echo", Arguments = Args("""{"text": "${s1}"}"""), Agent = "helper" },
            },
            new PlanStep { Id = "s3", Description = "c", Dependencies = ["s1", "s2"], Kind = StepKind.Subgoal },
        ],
            "g");

        foreach (var indented in new[] { true, false })
        {
            var json = PlanJson.Serialize(original, indented);
            var again = PlanJson.Deserialize(json);

            Assert.Equal(json, PlanJson.Serialize(again, indented));
            Assert.Equal("g", again.Goal);
            Assert.Equal("helper", again.Steps[1].Fallback!.Agent);
            Assert.Equal("x", again.Steps[0].Arguments["b"].GetProperty("nested")[1].GetString());
        }
    }

    [Fact]
    public void Deserialize_ValuesAreKeptExactlyAsWritten()
    {
        var plan = PlanJson.Deserialize("""{"steps": [{"id": "s1", "description": "  padded  ", "tool": "none", "agent": " "}]}""");

        var step = Assert.Single(plan.Steps);
        Assert.Equal("  padded  ", step.Description);
        Assert.Equal("none", step.Tool);
        Assert.Equal(" ", step.Agent);
        Assert.Null(plan.Goal);
    }

    [Theory]
    [InlineData("```json\n{\"steps\": [{\"id\": \"s1\", \"description\": \"d\"}]}\n```", PlanProblemCode.NoJson, "not valid JSON")]
    [InlineData("Here: {\"steps\": [{\"id\": \"s1\", \"description\": \"d\"}]}", PlanProblemCode.NoJson, "not valid JSON")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\",}]}", PlanProblemCode.NoJson, "not valid JSON")]
    [InlineData("[{\"id\": \"s1\", \"description\": \"d\"}]", PlanProblemCode.InvalidShape, "an array of 1 items, not a plan")]
    [InlineData("{\"goal\": \"g\", \"steps\": [], \"version\": 2}", PlanProblemCode.InvalidShape, "key 'version'")]
    [InlineData("{\"steps\": [{\"id\": 1, \"description\": \"d\"}]}", PlanProblemCode.InvalidShape, "\"id\" is a number")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\", \"args\": {}}]}", PlanProblemCode.InvalidShape, "key 'args'")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\", \"depends_on\": []}]}", PlanProblemCode.InvalidShape, "key 'depends_on'")]
    [InlineData("{\"steps\": [{\"id\": \"s2\", \"description\": \"d\", \"dependencies\": \"s1\"}]}", PlanProblemCode.InvalidShape, "\"dependencies\" is a string")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\", \"kind\": \"Verification\"}]}", PlanProblemCode.UnknownKind, "kind \"Verification\" is not one of")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\", \"arguments\": \"{}\"}]}", PlanProblemCode.InvalidShape, "\"arguments\" is a string")]
    [InlineData("{\"steps\": [{\"id\": \"s1\", \"description\": \"d\", \"fallback\": \"by hand\"}]}", PlanProblemCode.InvalidShape, "\"fallback\" is a string")]
    [InlineData("{\"steps\": [{\"id\": \"s1\"}]}", PlanProblemCode.InvalidShape, "has no \"description\"")]
    [InlineData("{\"goal\": \"g\"}", PlanProblemCode.InvalidShape, "no \"steps\" array")]
    public void Deserialize_AnythingButTheCanonicalForm_IsRefusedNamingWhy(string json, PlanProblemCode code, string why)
    {
        var ex = Assert.Throws<PlanParseException>(() => PlanJson.Deserialize(json));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal(code, problem.Code);
        Assert.Contains(why, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_SeveralBadSteps_ListsEveryProblemWithItsStep()
    {
        const string json = """
            {"steps": [
              "just a string",
              {"id": "s2", "description": "b", "kind": "dance"},
              {"id": "s3", "description": "c", "dependencies": ["s2", 7]},
              {"id": "s4", "description": "d", "fallback": {"description": "e", "tool": "x", "retries": 2}}
            ]}
            """;

        var ex = Assert.Throws<PlanParseException>(() => PlanJson.Deserialize(json));

        Assert.Equal(
            [PlanProblemCode.InvalidShape, PlanProblemCode.UnknownKind, PlanProblemCode.InvalidShape, PlanProblemCode.InvalidShape],
            ex.Problems.Select(p => p.Code));
        Assert.Equal([null, "s2", "s3", "s4 fallback"], ex.Problems.Select(p => p.StepId));
        Assert.Contains("key 'retries'", ex.Problems[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_TextOverTheCap_IsRefusedBeforeParsing()
    {
        var huge = "{\"steps\":[{\"id\":\"s1\",\"description\":\"" + new string('x', PlanJson.MaxTextLength) + "\"}]}";

        var ex = Assert.Throws<PlanParseException>(() => PlanJson.Deserialize(huge));

        Assert.Equal(PlanProblemCode.TooLarge, Assert.Single(ex.Problems).Code);
    }
}
