using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Tests.Runs;

/// <summary>Events of made-up runs, built by hand, for the projection, the recorder and the store.</summary>
internal static class RunEvents
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    public static readonly RunInfo Info = new("Compare apples and pears", "test", "{}", string.Empty, string.Empty, []);

    public static readonly Plan First = Plan(("s1", []), ("s2", ["s1"]), ("s3", ["s2"]));

    public static readonly Plan Revised = Plan(("s1", []), ("s2", ["s1"]), ("r1", ["s2"]));

    public static DateTimeOffset At(int second) => T0.AddSeconds(second);

    public static Plan Plan(params (string Id, string[] Dependencies)[] steps) =>
        new([.. steps.Select(s => new PlanStep { Id = s.Id, Description = "do " + s.Id, Dependencies = s.Dependencies })]);

    public static StoredRun Start(string runId = "run-1") => RunProjection.Start(runId, Info, T0);

    public static StepStarted Started(string id, int second) => new() { Timestamp = At(second), StepId = id, Description = "do " + id, Ordinal = 1, Total = 3 };

    public static StepCompleted Completed(string id, int second, string output, TokenUsage usage = default, int attempts = 1) =>
        new() { Timestamp = At(second), StepId = id, Description = "do " + id, OutputPreview = output, Output = output, Attempts = attempts, Duration = TimeSpan.FromSeconds(1), Usage = usage };

    public static StepFailed Failed(string id, int second, string error) =>
        new() { Timestamp = At(second), StepId = id, Description = "do " + id, Error = error, Attempts = 2, Duration = TimeSpan.FromSeconds(1) };

    public static AnswerDelta Delta(string text, int second) => new() { Timestamp = At(second), Text = text };

    public static RunCompleted Ended(AgentRunStatus status, int second, string answer, TokenUsage usage, string? error = null) =>
        new() { Timestamp = At(second), Result = new AgentRunResult { Goal = Info.Goal, Status = status, Answer = answer, Usage = usage, Error = error, StartedAt = T0, EndedAt = At(second) } };

    /// <summary>A run whose s2 fails, is revised by a replan that reuses the id s2, and completes.</summary>
    public static ExecutionEvent[] Replanned() =>
    [
        new RunStarted { Timestamp = At(0), RunId = "run-1", Goal = Info.Goal },
        new PlanCreated { Timestamp = At(0), Plan = First, Attempt = 1 },
        new PlanReflected { Timestamp = At(0), Round = 1, Approved = true, Issues = [], Plan = First },
        new PlanApprovalRequested { Timestamp = At(0), Plan = First },
        new PlanApproved { Timestamp = At(0), Plan = First },
        Started("s1", 1),
        Completed("s1", 2, "notes"),
        Started("s2", 2),
        new StepRetrying { Timestamp = At(3), StepId = "s2", FailedAttempt = 1, MaxAttempts = 2, Delay = TimeSpan.Zero, Error = "timeout" },
        Failed("s2", 4, "no such file"),
        new StepSkipped { Timestamp = At(4), StepId = "s3", Description = "do s3", Reason = "s2 failed" },
        new Replanned { Timestamp = At(5), Replan = 1, FailedStepId = "s2", Error = "no such file", Plan = Revised },
        Started("s2", 6),
        Completed("s2", 7, "search results", new TokenUsage(1, 10, 5)),
        Started("r1", 7),
        Completed("r1", 8, "compared"),
        Delta("Pears ", 9),
        Delta("win.", 9),
        new AnswerCompleted { Timestamp = At(9), Answer = "Pears win." },
        Ended(AgentRunStatus.Completed, 10, "Pears win.", new TokenUsage(4, 100, 20)),
    ];
}
