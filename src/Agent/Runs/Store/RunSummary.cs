namespace Plansmith.Agent.Runs.Store;

/// <summary>One line of the run history; <paramref name="Status"/> as in <see cref="StoredRun.Status"/>.</summary>
public sealed record RunSummary(string Id, string Goal, StoredRunStatus Status, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long Tokens);
