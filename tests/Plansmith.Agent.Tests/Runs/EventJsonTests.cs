using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using static Plansmith.Agent.Tests.Runs.RunEvents;

namespace Plansmith.Agent.Tests.Runs;

public sealed class EventJsonTests
{
    [Fact]
    public void TryDeserialize_EveryEventStoredWhole_ReadsBackEqualInWhatTheProjectionUses()
    {
        foreach (var original in Replanned().Where(e => e is not RunCompleted))
        {
            var read = EventJson.TryDeserialize(original.GetType().Name, EventJson.Serialize(original));

            Assert.NotNull(read);
            Assert.Equal(original.GetType(), read.GetType());
            Assert.Equal(original.Timestamp, read.Timestamp);
            Assert.Equal(RunProjection.StepIdOf(original), RunProjection.StepIdOf(read));
            Assert.Equal(RunProjection.PlanVersionOf(original)?.Steps.Select(s => s.Id), RunProjection.PlanVersionOf(read)?.Steps.Select(s => s.Id));
            if (RunProjection.StepIdOf(original) is not null)
            {
                Assert.Equal(RunProjection.ApplyToStep(null, original), RunProjection.ApplyToStep(null, read));
            }
        }
    }

    [Fact]
    public void TryDeserialize_ChildPlanEvent_ReadsTheInnerEventBack()
    {
        var relayed = new SubplanEvent { Timestamp = At(3), ParentStepId = "r1", Depth = 2, Inner = Completed("c1", 3, "child output") };

        var read = Assert.IsType<SubplanEvent>(EventJson.TryDeserialize(nameof(SubplanEvent), EventJson.Serialize(relayed)));

        Assert.Equal(("r1", 2), (read.ParentStepId, read.Depth));
        Assert.Equal("child output", Assert.IsType<StepCompleted>(read.Inner).Output);
    }

    [Theory]
    [InlineData(nameof(RunCompleted), "{\"status\":\"Completed\"}")]
    [InlineData(nameof(StepCompleted), "{\"stepId\":\"s1\"")]
    [InlineData(nameof(StepCompleted), "{\"timestamp\":\"2026-11-26T10:00:00Z\"}")]
    [InlineData("SomethingNew", "{}")]
    [InlineData(nameof(SubplanEvent), "{\"parentStepId\":\"s1\",\"inner\":\"StepStarted\",\"innerJson\":{}}")]
    public void TryDeserialize_ReducedDamagedOrUnknown_IsNull(string type, string json) =>
        Assert.Null(EventJson.TryDeserialize(type, json));
}
