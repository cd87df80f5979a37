using Microsoft.Data.Sqlite;

namespace Plansmith.Agent.Runs.Store;

/// <summary>The schema and its migrations: a file is brought up to <see cref="SchemaVersion"/> one migration at a time, each in its own transaction.</summary>
public sealed partial class SqliteRunStore
{
    /// <summary>Migration <c>n</c> takes a file from schema <c>n</c> to <c>n + 1</c>; <c>PRAGMA user_version</c> holds the schema.</summary>
    private static readonly string[] Migrations =
    [
        // 1: the first schema.
        """
        CREATE TABLE runs (
            id TEXT PRIMARY KEY, goal TEXT NOT NULL, provider TEXT NOT NULL, options_json TEXT NOT NULL,
            prompts_fingerprint TEXT NOT NULL, tools_fingerprint TEXT NOT NULL, tool_names TEXT NOT NULL,
            status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, answer TEXT NOT NULL DEFAULT '', error TEXT,
            model_calls INTEGER NOT NULL DEFAULT 0, input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE plans (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, version INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, version));
        CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (run_id, seq));
        CREATE TABLE steps (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step_id TEXT NOT NULL, status TEXT NOT NULL, output TEXT,
            attempts INTEGER NOT NULL DEFAULT 0, started_at TEXT, ended_at TEXT, error TEXT, unverified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (run_id, step_id));
        """,

        // 2: each step's model calls and tokens.
        """
        ALTER TABLE steps ADD COLUMN model_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE steps ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE steps ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0;
        """,

        // 3: a run's owner and lease (times in Unix milliseconds). Runs stored by schema 2 have
        // no owner: one left 'running' reads as interrupted.
        """
        ALTER TABLE runs ADD COLUMN owner_id TEXT;
        ALTER TABLE runs ADD COLUMN owner_host TEXT;
        ALTER TABLE runs ADD COLUMN owner_pid INTEGER;
        ALTER TABLE runs ADD COLUMN owner_machine TEXT;
        ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
        ALTER TABLE runs ADD COLUMN lease_expires_at INTEGER;
        """,
    ];

    private void Migrate()
    {
        try
        {
            using var connection = new SqliteConnection(_createConnectionString);
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = $"PRAGMA busy_timeout = {_busyMilliseconds}; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;";
                pragma.ExecuteNonQuery();
            }

            long version;
            using (var read = connection.CreateCommand())
            {
                read.CommandText = "PRAGMA user_version";
                version = (long)read.ExecuteScalar()!;
            }

            if (version > SchemaVersion)
            {
                throw new RunStoreException($"The run store '{Path}' was written by a newer Plansmith (schema {version}; this one knows {SchemaVersion}). Upgrade Plansmith, or use another file with --store.", RunStoreError.NewerSchema, Path);
            }

            if (version == 0)
            {
                using var tables = connection.CreateCommand();
                tables.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'";
                if ((long)tables.ExecuteScalar()! > 0)
                {
                    throw new RunStoreException($"'{Path}' is a SQLite database but not a Plansmith run store; it was left untouched. Use another file with --store.", RunStoreError.NotAStore, Path);
                }
            }

            for (var next = (int)version; next < SchemaVersion; next++)
            {
                using var transaction = connection.BeginTransaction();
                using var migrate = connection.CreateCommand();
                migrate.Transaction = transaction;
                migrate.CommandText = Migrations[next] + $"; PRAGMA user_version = {next + 1};";
                migrate.ExecuteNonQuery();
                transaction.Commit();
            }

            if (_options.MaxSizeBytes is { } max)
            {
                using var size = connection.CreateCommand();
                size.CommandText = "PRAGMA page_size";
                _maxPages = Math.Max(1, max / (long)size.ExecuteScalar()!);
            }
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
        {
            throw new RunStoreException($"'{Path}' is not a Plansmith run store or is damaged ({ex.Message}); it was left untouched. Move it away or use another file with --store.", RunStoreError.NotAStore, Path, ex);
        }
        catch (SqliteException ex)
        {
            throw Failure(ex, "opened");
        }
    }
}
