namespace Plansmith.Agent.Runs.Store;

/// <summary>A stored event: its type's name and its JSON as <see cref="EventJson"/> wrote it.</summary>
public sealed record StoredEvent(long Sequence, string Type, DateTimeOffset At, string Json);
