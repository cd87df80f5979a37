using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Tests.Runs;

public sealed class StatusTextTests
{
    [Theory]
    [InlineData("running", StoredRunStatus.Running)]
    [InlineData("completed", StoredRunStatus.Completed)]
    [InlineData("answered", StoredRunStatus.Answered)]
    [InlineData("budgetexhausted", StoredRunStatus.BudgetExhausted)]
    [InlineData("rejected", StoredRunStatus.Rejected)]
    public void ParseRunStatus_WordsEarlierVersionsWrote_ReadAsTheirStatus(string text, StoredRunStatus expected)
    {
        Assert.Equal(expected, StatusText.ParseRunStatus(text));
        Assert.Equal(text, expected.ToText());
    }

    [Fact]
    public void ToText_EveryStatusAnAgentRunEndsWith_IsTheWordEarlierVersionsWrote()
    {
        // Earlier versions wrote AgentRunStatus in lower case; the stored words must not change.
        Assert.All(Enum.GetValues<AgentRunStatus>(), s => Assert.Equal(s.ToString().ToLowerInvariant(), s.ToStored().ToText()));
    }

    [Fact]
    public void ParseStepStatus_EveryStepStatus_RoundTrips() =>
        Assert.All(Enum.GetValues<StepStatus>(), s => Assert.Equal(s, StatusText.ParseStepStatus(s.ToText())));

    [Theory]
    [InlineData("")]
    [InlineData("3")]
    [InlineData("Completed, Failed")]
    [InlineData("done")]
    public void ParseRunStatus_NotAStatusWord_ThrowsFormatExceptionNamingTheWords(string text)
    {
        var ex = Assert.Throws<FormatException>(() => StatusText.ParseRunStatus(text));

        Assert.Contains("budgetexhausted", ex.Message, StringComparison.Ordinal);
    }
}
