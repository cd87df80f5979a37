using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Tests.Planning.Speculation;

public sealed class PlanStreamReaderTests
{
    private const string Plan = """
        Sure, here is the plan:
        ```json
        { "goal": "x {not a step}", "steps": [
          { "id": "s1", "description": "Say \"}{\" twice", "arguments": { "text": "a } b" } },
          { "id": "s2", "dependencies": ["s1"], "arguments": { "list": [1, {"n": 2}] } }
        ], "notes": { "id": "not a step" } }
        ```
        """;

    private static List<string> FeedInPieces(string text, int size)
    {
        var reader = new PlanStreamReader();
        var closed = new List<string>();
        for (var i = 0; i < text.Length; i += size)
        {
            closed.AddRange(reader.Feed(text.Substring(i, Math.Min(size, text.Length - i))));
        }

        return closed;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(10_000)]
    public void Feed_AnyPieceSizes_ReturnsEachStepObjectOnceWhole(int size)
    {
        var closed = FeedInPieces(Plan, size);

        Assert.Equal(2, closed.Count);
        Assert.StartsWith("{ \"id\": \"s1\"", closed[0], StringComparison.Ordinal);
        Assert.EndsWith("\"a } b\" } }", closed[0], StringComparison.Ordinal);
        Assert.StartsWith("{ \"id\": \"s2\"", closed[1], StringComparison.Ordinal);
        Assert.EndsWith("{\"n\": 2}] } }", closed[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_StepNotYetClosed_ReturnsNothingUntilItCloses()
    {
        var reader = new PlanStreamReader();

        Assert.Empty(reader.Feed("{\"steps\":[{\"id\":\"s1\",\"arguments\":{\"q\":\"a\"}"));
        Assert.Equal(["{\"id\":\"s1\",\"arguments\":{\"q\":\"a\"}}"], reader.Feed("},"));
    }

    [Fact]
    public void Feed_BareArrayOfSteps_ReturnsEachStep()
    {
        Assert.Equal(2, FeedInPieces("[{\"id\":\"a\"},{\"id\":\"b\"}]", 2).Count);
    }

    [Fact]
    public void Feed_StepLinesInsideSteps_ReturnsEachLineAsItCloses()
    {
        var reader = new PlanStreamReader();

        Assert.Empty(reader.Feed("{\"steps\": [\"s1 = search.search(query=\\\"Flask"));
        Assert.Equal(["\"s1 = search.search(query=\\\"Flask\\\")\""], reader.Feed("\\\")\", "));
        Assert.Equal(["\"s2 = search.search(query in [\\\"a\\\"])\""], reader.Feed("\"s2 = search.search(query in [\\\"a\\\"])\"]}"));
    }
}
