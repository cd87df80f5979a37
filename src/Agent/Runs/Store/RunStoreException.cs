namespace Plansmith.Agent.Runs.Store;

/// <summary>
/// The run store refused a request or could not do it: the run is unknown, finished or owned by
/// another live process, or the file is not a usable store (damaged, read-only, full, deleted,
/// written by a newer Plansmith). The message names the file, the cause and the fix; a failed
/// write changed nothing (each write is one transaction).
/// </summary>
public sealed class RunStoreException : Exception
{
    /// <summary>Creates the exception for a failure of no particular kind.</summary>
    public RunStoreException(string message, Exception? innerException = null)
        : this(message, RunStoreError.Failed, null, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The cause and the fix, naming the file.</param>
    /// <param name="error">What kind of failure or refusal this is.</param>
    /// <param name="storePath">The store's file, when known.</param>
    /// <param name="innerException">The SQLite or I/O error behind it, if any.</param>
    public RunStoreException(string message, RunStoreError error, string? storePath, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        StorePath = storePath;
    }

    /// <summary>What kind of failure or refusal this is.</summary>
    public RunStoreError Error { get; }

    /// <summary>The store's file, when known.</summary>
    public string? StorePath { get; }

    /// <summary>
    /// True when the request was refused before anything was done (unknown or finished run, a run
    /// owned by a live process, a file that is not a Plansmith store or is from a newer version);
    /// false when the store failed while working.
    /// </summary>
    public bool IsRefusal => Error is RunStoreError.NotFound or RunStoreError.AlreadyEnded or RunStoreError.Owned or RunStoreError.NotAStore or RunStoreError.NewerSchema;

    /// <summary>The same failure as a new exception, to throw again from another place (an exception object is not thrown twice).</summary>
    internal RunStoreException Again() => new(Message, Error, StorePath, this);
}
