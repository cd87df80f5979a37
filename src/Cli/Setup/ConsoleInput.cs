namespace Plansmith.Cli.Setup;

/// <summary>Reading a line from the console in a way that Ctrl+C and SIGTERM can interrupt.</summary>
internal static class ConsoleInput
{
    /// <summary>
    /// The next line, or null at the end of input. Console input blocks the calling thread inside
    /// its read and does not look at a token, so the read runs on its own thread and the wait for
    /// it ends the moment <paramref name="cancellationToken"/> is cancelled (an abandoned read holds
    /// no lock that matters: the command is ending).
    /// </summary>
    public static Task<string?> ReadLineAsync(TextReader input, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(input.ReadLine, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(cancellationToken);
}
