namespace Plansmith.Agent.Runs.Store;

/// <summary>Settings of a <see cref="SqliteRunStore"/> (the CLI binds them from <c>Plansmith:RunStore</c>).</summary>
public sealed class SqliteRunStoreOptions
{
    /// <summary>How long to wait for another writer before calling the store locked. Default 30 s; 0 to 10 min.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a run's lease lasts without a heartbeat; the owner renews it every third of this.
    /// After it lapses the run counts as interrupted and may be resumed elsewhere. Default 30 s; 3 s to 1 h.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most the file may grow to, in bytes; a write beyond it fails as a full disk would
    /// (SQLITE_FULL). Null (the default) for no limit but the disk's (and SQLite's own).
    /// </summary>
    public long? MaxSizeBytes { get; set; }

    /// <summary>The problems with these settings; empty when they are valid.</summary>
    public IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            problems.Add($"RunStore:BusyTimeout must be between 0 and 10 minutes (it is {BusyTimeout}).");
        }

        if (LeaseDuration < TimeSpan.FromSeconds(3) || LeaseDuration > TimeSpan.FromHours(1))
        {
            problems.Add($"RunStore:LeaseDuration must be between 3 seconds and 1 hour (it is {LeaseDuration}).");
        }

        if (MaxSizeBytes is < 16384)
        {
            problems.Add($"RunStore:MaxSizeBytes must be at least 16384 (it is {MaxSizeBytes}).");
        }

        return problems;
    }

    /// <summary>Throws when the settings are invalid.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message names each problem.</exception>
    public void Validate()
    {
        var problems = Check();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid run store settings: " + string.Join(" ", problems));
        }
    }
}
