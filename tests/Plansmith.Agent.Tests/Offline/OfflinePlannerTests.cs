using Plansmith.Agent.Offline;

namespace Plansmith.Agent.Tests.Offline;

public sealed class OfflinePlannerTests
{
    [Theory]
    [InlineData("Summarize the findings on retries and fallbacks")]
    [InlineData("Compare retries and fallbacks")]
    [InlineData("The findings cover every one of: retries and fallbacks")]
    public void Items_GoalNamingTwoItems_ReturnsBothItemsOnly(string goal)
    {
        var text = goal.Contains(':', StringComparison.Ordinal) ? "Compare " + goal[(goal.IndexOf(':', StringComparison.Ordinal) + 1)..] : goal;

        var (items, _) = OfflinePlanner.Items(text);

        Assert.Equal(["retries", "fallbacks"], items);
    }

    [Fact]
    public void Items_SummaryStepWithTopic_ReturnsItemsAndTopic()
    {
        var (items, topic) = OfflinePlanner.Items("Summarize the findings on routing for Flask and FastAPI");

        Assert.Equal(["Flask", "FastAPI"], items);
        Assert.Equal("routing", topic);
    }
}
