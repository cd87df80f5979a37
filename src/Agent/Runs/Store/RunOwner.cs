namespace Plansmith.Agent.Runs.Store;

/// <summary>The process that holds a live run's lease.</summary>
/// <param name="Id">The owner's id: host name, process id and a random instance id.</param>
/// <param name="Host">The owner's host name.</param>
/// <param name="ProcessId">The owner's process id on that host.</param>
/// <param name="LastHeartbeat">When the owner last renewed the lease.</param>
/// <param name="LeaseExpiresAt">When the lease lapses unless renewed; after that the run counts as interrupted.</param>
public sealed record RunOwner(string Id, string Host, int ProcessId, DateTimeOffset LastHeartbeat, DateTimeOffset LeaseExpiresAt);
