using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using static Plansmith.Agent.Tests.Runs.RunEvents;

namespace Plansmith.Agent.Tests.Runs;

public sealed class RunProjectionTests
{
    [Fact]
    public void Fold_ReplanReusingAStepId_AddsAVersionAndTheStepTakesItsNewState()
    {
        var run = RunProjection.Fold(Start(), Replanned());

        // Created, approved (the approving critique adds none), replanned.
        Assert.Equal(3, run.PlanVersions.Count);
        Assert.Equal(["s1", "s2", "r1"], run.PlanVersions[^1].Steps.Select(s => s.Id));
        Assert.All(run.PlanVersions, p => Assert.Equal(Info.Goal, p.Goal));
        Assert.Equal(["s1", "s2", "s3", "r1"], run.Steps.Select(s => s.StepId));
        var s2 = run.Steps[1];
        Assert.Equal(new StoredStep("s2", StepStatus.Completed, "search results", 1, At(6), At(7), null, false) { Usage = new TokenUsage(1, 10, 5) }, s2);
        Assert.Equal(new StoredStep("s3", StepStatus.Skipped, null, 0, null, At(4), "s2 failed", false), run.Steps[2]);
        Assert.Equal(StoredRunStatus.Completed, run.Status);
        Assert.Equal("Pears win.", run.Answer);
        Assert.Equal(new TokenUsage(4, 100, 20), run.Usage);
        Assert.Equal(At(10), run.EndedAt);
        Assert.False(run.AwaitsApproval);
    }

    [Fact]
    public void Fold_CritiqueThatRevisesThePlan_AddsAVersionPerRevision()
    {
        var run = RunProjection.Fold(Start(),
        [
            new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 },
            new PlanReflected { Timestamp = At(1), Round = 1, Approved = false, Issues = ["s3 is vague"], Plan = Revised },
            new PlanReflected { Timestamp = At(2), Round = 2, Approved = true, Issues = [], Plan = Revised },
        ]);

        Assert.Equal([First.Steps.Count, Revised.Steps.Count], run.PlanVersions.Select(p => p.Steps.Count));
        Assert.Equal("r1", run.PlanVersions[1].Steps[^1].Id);
    }

    [Fact]
    public void Fold_ResumeWithUnverifiedSteps_MarksThemForGoodAndCountsBothSessions()
    {
        var run = RunProjection.Fold(Start(),
        [
            new RunStarted { Timestamp = At(0), RunId = "run-1", Goal = Info.Goal },
            new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 },
            Started("s1", 1),
            Completed("s1", 2, "notes"),
            Started("s2", 2),
            Ended(AgentRunStatus.Cancelled, 3, string.Empty, new TokenUsage(2, 30, 3), "The run was cancelled."),
        ]);
        Assert.Equal(StoredRunStatus.Cancelled, run.Status);
        Assert.Equal(StepStatus.Running, run.Steps[1].Status);

        run = RunProjection.Fold(run,
        [
            new RunStarted { Timestamp = At(20), RunId = "run-1", Goal = Info.Goal, Resumed = true },
            new RunResumed { Timestamp = At(20), RunId = "run-1", CompletedSteps = ["s1"], Unverified = ["s2", "never-stored"], Warnings = [] },
        ]);

        // A session is under way again: nothing of the last one's end is left but its usage.
        Assert.Equal(StoredRunStatus.Running, run.Status);
        Assert.Null(run.EndedAt);
        Assert.Null(run.Error);
        Assert.Equal(new TokenUsage(2, 30, 3), run.Usage);
        Assert.True(run.Steps[1].Unverified);
        Assert.False(run.Steps[0].Unverified);
        Assert.DoesNotContain(run.Steps, s => s.StepId == "never-stored");

        run = RunProjection.Fold(run, [Started("s2", 21), Completed("s2", 22, "read"), Started("s3", 22), Completed("s3", 23, "summed"), Ended(AgentRunStatus.Completed, 24, "Done.", new TokenUsage(3, 40, 4))]);

        Assert.True(run.Steps[1].Unverified); // it may have had its effect in the first session too
        Assert.Equal(StepStatus.Completed, run.Steps[1].Status);
        Assert.Equal(StoredRunStatus.Completed, run.Status);
        Assert.Equal(new TokenUsage(5, 70, 7), run.Usage);
        Assert.Equal(At(24), run.EndedAt);
    }

    [Fact]
    public void Fold_StoppedWhileWaitingForApproval_AwaitsApprovalUntilApproved()
    {
        ExecutionEvent[] asked = [new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 }, new PlanApprovalRequested { Timestamp = At(1), Plan = First }];

        var waiting = RunProjection.Fold(Start(), asked);
        var approved = RunProjection.Apply(waiting, new PlanApproved { Timestamp = At(2), Plan = First });
        var askedAgain = RunProjection.Apply(approved, new PlanApprovalRequested { Timestamp = At(3), Plan = Revised });

        Assert.True(waiting.AwaitsApproval);
        Assert.False(approved.AwaitsApproval);
        Assert.True(askedAgain.AwaitsApproval);
        Assert.True(RunProjection.AwaitsApproval(asked.Select(e => e.GetType().Name)));
        Assert.False(RunProjection.AwaitsApproval([nameof(PlanApprovalRequested), nameof(StepStarted), nameof(PlanApproved)]));
    }

    [Fact]
    public void Apply_CoalescedAnswerDeltas_GiveTheSameAnswerAsEachPiece()
    {
        var pieces = Enumerable.Range(0, 40).Select(i => Delta($"word{i} ", 1)).ToList();
        var started = RunProjection.Apply(Start(), new RunStarted { Timestamp = At(0), Goal = Info.Goal });

        var oneByOne = RunProjection.Fold(started, pieces);
        var merged = RunProjection.Apply(started, Delta(string.Concat(pieces.Select(p => p.Text)), 1));
        var completed = RunProjection.Apply(merged, new AnswerCompleted { Timestamp = At(2), Answer = "The whole answer." });

        Assert.StartsWith("word0 word1 ", oneByOne.Answer, StringComparison.Ordinal);
        Assert.Equal(oneByOne, merged);
        Assert.Equal("The whole answer.", completed.Answer);
    }

    [Fact]
    public void Complete_RecordedByTheStoreCallAndByTheEvent_CountsTheSessionOnce()
    {
        var header = new RunHeader { Usage = new TokenUsage(1, 1, 1) };

        var once = RunProjection.Complete(header, AgentRunStatus.Failed, "partial", "s2 failed", new TokenUsage(2, 20, 2), At(5));
        var twice = RunProjection.ApplyToHeader(once, Ended(AgentRunStatus.Failed, 6, "partial", new TokenUsage(2, 20, 2), "s2 failed"));

        Assert.Equal(new TokenUsage(3, 21, 3), twice.Usage);
        Assert.Equal(At(5), twice.EndedAt);
        Assert.Equal((StoredRunStatus.Failed, "partial", "s2 failed"), (twice.Status, twice.Answer, twice.Error));
    }

    [Fact]
    public void ApplyToStep_RetryThenStart_KeepsAttemptsAndClearsTheOldError()
    {
        var step = RunProjection.ApplyToStep(null, Started("s1", 1));
        step = RunProjection.ApplyToStep(step, new StepRetrying { Timestamp = At(2), StepId = "s1", FailedAttempt = 1, MaxAttempts = 3, Delay = TimeSpan.Zero, Error = "429" });
        Assert.Equal((StepStatus.Running, 1, "429"), (step.Status, step.Attempts, step.Error));

        step = RunProjection.ApplyToStep(step, Failed("s1", 3, "gave up"));
        step = RunProjection.ApplyToStep(step, Started("s1", 10));

        Assert.Equal(new StoredStep("s1", StepStatus.Running, null, 2, At(10), null, null, false), step);
    }

    [Fact]
    public void ApplyToStep_EventAboutAnotherStepOrNone_Throws()
    {
        var s1 = RunProjection.ApplyToStep(null, Started("s1", 1));

        Assert.Throws<ArgumentException>(() => RunProjection.ApplyToStep(s1, Started("s2", 1)));
        Assert.Throws<ArgumentException>(() => RunProjection.ApplyToStep(s1, Delta("x", 1)));
    }

    [Fact]
    public void Apply_EventOfAChildPlan_ChangesNoTopLevelStep()
    {
        var run = RunProjection.Fold(Start(), [Started("s1", 1), new SubplanEvent { Timestamp = At(2), ParentStepId = "s1", Depth = 1, Inner = Completed("s1", 2, "child output") }]);

        Assert.Equal(StepStatus.Running, Assert.Single(run.Steps).Status);
    }
}
