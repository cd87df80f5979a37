using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The run store in a SQLite file: WAL mode, one transaction per write, a versioned schema. Safe
/// for concurrent runs and processes sharing one file. A file that is not a Plansmith store, or
/// was written by a newer version, is refused with a clear error and left untouched.
/// </summary>
/// <remarks>
/// <para>
/// The file holds each run's events and a snapshot of its state: a row per run (status, answer,
/// error, usage, end), its plan versions and a row per step. Appending an event applies
/// <see cref="RunProjection"/> to the rows it touches in the same transaction, so the snapshot is
/// always the fold of the events stored (the store decides nothing itself). Schema 3 has no column
/// for the wait for approval; it is read from the event types
/// (<see cref="RunProjection.AwaitsApproval"/>).
/// </para>
/// <para>
/// Runs have one owner. Creating or resuming a run takes a lease on it (owner id, host, process
/// id, heartbeat, expiry), which the owner renews while the run lasts and releases when it ends.
/// Every write about a run checks, in its transaction, that this store still owns it. Another
/// resume or a delete is refused while the lease is live; it may take the run over once the lease
/// has lapsed, or at once when the owner ran on this machine and its process is gone. The
/// takeover is one transaction comparing the old owner and expiry, so of two racing resumes one wins.
/// </para>
/// <para>
/// A run stored as <c>running</c> whose lease has lapsed (or whose owner is gone) is reported as
/// <see cref="StoredRunStatus.Interrupted"/>. That is computed when read, not written: reading
/// needs no write access, and the stored state stays what the owner last wrote.
/// </para>
/// <para>
/// Every SQLite or I/O failure leaves as a <see cref="RunStoreException"/> naming the file, the
/// cause and the fix.
/// </para>
/// </remarks>
public sealed partial class SqliteRunStore : IRunStore
{
    /// <summary>The schema version this build writes.</summary>
    public const int SchemaVersion = 3;

    private readonly string _createConnectionString;
    private readonly string _connectionString;
    private readonly int _busyMilliseconds;
    private readonly SqliteRunStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly RunOwnerIdentity _owner = RunOwnerIdentity.Create();
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);
    private long _maxPages;

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="busyTimeout">How long to wait for another writer before calling the store locked; 30 seconds when null.</param>
    /// <exception cref="RunStoreException">The file is not a usable store; it is left as it was.</exception>
    public SqliteRunStore(string path, TimeSpan? busyTimeout = null)
        : this(path, new SqliteRunStoreOptions { BusyTimeout = busyTimeout ?? TimeSpan.FromSeconds(30) })
    {
    }

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The SQLite file.</param>
    /// <param name="options">Busy timeout, lease duration and size limit; validated here.</param>
    /// <param name="timeProvider">The clock for leases and timestamps; the system clock when null.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="RunStoreException">The file is not a usable store; it is left as it was.</exception>
    public SqliteRunStore(string path, SqliteRunStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _busyMilliseconds = (int)options.BusyTimeout.TotalMilliseconds;
        Path = System.IO.Path.GetFullPath(path);
        var builder = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = Math.Max(1, _busyMilliseconds / 1000) };
        _createConnectionString = builder.ToString();

        // Once it exists the file is never created again: a store deleted while in use fails
        // loudly instead of starting afresh, empty, under the same name.
        builder.Mode = SqliteOpenMode.ReadWrite;
        _connectionString = builder.ToString();
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be created: its folder cannot be made ({ex.Message}). Pass --store PATH in a writable folder, or --no-store.", ex is UnauthorizedAccessException ? RunStoreError.ReadOnly : RunStoreError.Missing, Path, ex);
        }

        Migrate();
    }

    /// <summary>The store's file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public TimeSpan LeaseDuration => _options.LeaseDuration;

    /// <summary>The default store: <c>runs.db</c> under the user's local data folder.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "plansmith", "runs.db");
}
