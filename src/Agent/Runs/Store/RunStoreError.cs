namespace Plansmith.Agent.Runs.Store;

/// <summary>Why the run store refused a request or failed.</summary>
public enum RunStoreError
{
    /// <summary>A failure of no more particular kind.</summary>
    Failed,

    /// <summary>No run has this id.</summary>
    NotFound,

    /// <summary>The run already completed or was answered; there is nothing to resume.</summary>
    AlreadyEnded,

    /// <summary>The run is live: another process (or another run in this one) holds its lease.</summary>
    Owned,

    /// <summary>This process no longer owns the run: its lease was taken over by another process.</summary>
    LeaseLost,

    /// <summary>The run's records disappeared from the store while it was running (deleted by hand or by an older Plansmith).</summary>
    Vanished,

    /// <summary>The file is another program's database, not a database at all, or its header is damaged.</summary>
    NotAStore,

    /// <summary>The file was written by a newer Plansmith.</summary>
    NewerSchema,

    /// <summary>The file is damaged (SQLITE_CORRUPT) or holds data this version cannot read.</summary>
    Damaged,

    /// <summary>The file or its folder cannot be written (SQLITE_READONLY, SQLITE_PERM, access denied).</summary>
    ReadOnly,

    /// <summary>The disk, or the store's configured size limit, is full (SQLITE_FULL).</summary>
    Full,

    /// <summary>Another process kept the file locked for longer than the busy timeout.</summary>
    Locked,

    /// <summary>The file or its folder is gone (deleted or moved while in use) or cannot be opened.</summary>
    Missing,

    /// <summary>The disk or file system reported an I/O error.</summary>
    Io,
}
