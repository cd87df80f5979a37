using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Execution;

/// <summary>What a worker tells the scheduler about step number <paramref name="Index"/>.</summary>
internal abstract record WorkerMessage(int Index);

/// <summary>An attempt failed and another follows after <paramref name="Delay"/>.</summary>
internal sealed record StepRetryReported(int Index, int FailedAttempt, int MaxAttempts, TimeSpan Delay, string Error) : WorkerMessage(Index);

/// <summary>The step failed for good; its fallback runs now.</summary>
internal sealed record StepFallbackReported(int Index, string Description, string Error) : WorkerMessage(Index);

/// <summary>The step's work is over: completed, failed or cancelled.</summary>
internal sealed record StepFinished(int Index, StepStatus Status, string? Output, string? Error, int Attempts, bool UsedFallback, TokenUsage Usage = default) : WorkerMessage(Index);
