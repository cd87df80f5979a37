// CA2007 flags the implicit DisposeAsync of 'await using'; every explicit await here already
// uses ConfigureAwait(false), and the disposals touch no synchronization context.
#pragma warning disable CA2007

using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Plansmith.Agent.Runs.Store;

/// <summary>Connections and transactions: one write transaction or one read per call, and the SQL helpers they share.</summary>
public sealed partial class SqliteRunStore
{
    private async Task<SqliteConnection> OpenAsync(bool write, CancellationToken cancellationToken)
    {
        // A pooled connection keeps writing to a file deleted under it (SQLite does not notice in
        // WAL mode): check the name still leads to a file before every write.
        if (write && !File.Exists(Path))
        {
            throw new RunStoreException($"The run store '{Path}' could not be written: the file is gone (deleted or moved while in use). Put it back, or pass --store PATH for a new one, or --no-store.", RunStoreError.Missing, Path);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {_busyMilliseconds};" + (_maxPages > 0 ? $" PRAGMA max_page_count = {_maxPages};" : string.Empty);
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One write transaction; every SQLite or I/O failure becomes a <see cref="RunStoreException"/>.</summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(write: true, cancellationToken).ConfigureAwait(false);

            // BEGIN IMMEDIATE: the write lock is taken before anything is read, so a read-then-write
            // (a takeover, a delete) cannot interleave with another writer's.
            await using var transaction = connection.BeginTransaction(deferred: false);
            var result = await write(connection, transaction).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "written");
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            // A row the write had to read (a step, the run) holds what this Plansmith cannot read.
            throw Damaged(ex, "written");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be written: {ex.Message}. Check the disk and the file's permissions, or pass --store PATH / --no-store.", RunStoreError.Io, Path, ex);
        }
    }

    /// <summary>One read; SQLite failures and unreadable contents become a <see cref="RunStoreException"/>.</summary>
    private async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenAsync(write: false, cancellationToken).ConfigureAwait(false);
            return await read(connection).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "read");
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException or JsonException or Plans.PlanRejectedException or ArgumentException or IndexOutOfRangeException)
        {
            throw Damaged(ex, "read");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RunStoreException($"The run store '{Path}' could not be read: {ex.Message}. Check the disk and the file's permissions, or pass --store PATH.", RunStoreError.Io, Path, ex);
        }
    }

    private static async Task<List<T>> ReadRowsAsync<T>(SqliteConnection connection, string sql, string runId, Func<SqliteDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        bind(command);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, string runId)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$run", runId);
        return command;
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
