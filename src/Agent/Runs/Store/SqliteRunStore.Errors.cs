using Microsoft.Data.Sqlite;

namespace Plansmith.Agent.Runs.Store;

/// <summary>Failures as typed errors: each names the file, the cause and the fix.</summary>
public sealed partial class SqliteRunStore
{
    private string DamagedFix => $"Move it away (keep it: 'sqlite3 {Path} .recover' may save its runs), then pass --store PATH for a new store, or --no-store.";

    /// <summary>Stored data this Plansmith cannot read, met while the store was <paramref name="verb"/>.</summary>
    private RunStoreException Damaged(Exception ex, string verb) =>
        new($"The run store '{Path}' could not be {verb}: it holds data this Plansmith cannot read, so it is damaged ({ex.Message}). {DamagedFix}", RunStoreError.Damaged, Path, ex);

    /// <summary>A SQLite failure as a typed error naming the file, the cause and the fix.</summary>
    private RunStoreException Failure(SqliteException ex, string verb)
    {
        var readOnly = ex.SqliteErrorCode is 8 or 10 or 14 && File.Exists(Path) && !CanWrite();
        var (error, cause, fix) = ex.SqliteErrorCode switch
        {
            _ when readOnly => (RunStoreError.ReadOnly, "the file or its folder is read-only for this user (SQLITE_READONLY)", "Make both writable for this user, or pass --store PATH / --no-store."),
            13 when _maxPages > 0 => (RunStoreError.Full, $"disk full or the store's size limit of {_options.MaxSizeBytes} bytes reached (SQLITE_FULL)", "Free space or raise Plansmith:RunStore:MaxSizeBytes, or pass --store PATH / --no-store."),
            13 => (RunStoreError.Full, "disk full (SQLITE_FULL)", "Free space or pass --store PATH / --no-store."),
            8 => (RunStoreError.ReadOnly, "the file or its folder is read-only for this user (SQLITE_READONLY)", "Make both writable for this user, or pass --store PATH / --no-store."),
            3 or 23 => (RunStoreError.ReadOnly, "permission denied (SQLITE_PERM)", "Make the file and its folder writable for this user, or pass --store PATH / --no-store."),
            11 or 26 => (RunStoreError.Damaged, "it is damaged (SQLITE_CORRUPT)", DamagedFix),
            5 or 6 => (RunStoreError.Locked, "another process kept it locked (SQLITE_BUSY)", "Wait for that process, raise Plansmith:RunStore:BusyTimeout, or pass --store PATH."),
            14 => (RunStoreError.Missing, "it cannot be opened (SQLITE_CANTOPEN): the file or its folder is missing (deleted or moved while in use?) or not accessible", "Put it back, or pass --store PATH for a new one, or --no-store."),
            10 => (RunStoreError.Io, "the disk reported an I/O error (SQLITE_IOERR)", "Check the disk, or pass --store PATH / --no-store."),
            _ => (RunStoreError.Failed, $"SQLite error {ex.SqliteErrorCode}", "Pass --store PATH for another store, or --no-store."),
        };
        return new RunStoreException($"The run store '{Path}' could not be {verb}: {cause}. {fix} ({ex.Message})", error, Path, ex);
    }

    /// <summary>Whether this user may write the file and create files beside it (SQLite's WAL and shared-memory files).</summary>
    private bool CanWrite()
    {
        try
        {
            using (new FileStream(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
            {
            }

            var probe = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".plansmith-write-probe-{Guid.NewGuid():N}");
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
