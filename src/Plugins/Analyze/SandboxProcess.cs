using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Plansmith.Plugins.Analyze;

/// <summary>How a sandbox process ended.</summary>
/// <param name="ExitCode">Its exit code; 128 + n when signal n ended it.</param>
/// <param name="TimedOut">Whether it was killed at the wall-time limit.</param>
/// <param name="Elapsed">Wall time from start to exit.</param>
internal sealed record SandboxExit(int ExitCode, bool TimedOut, TimeSpan Elapsed);

/// <summary>
/// Starts a sandbox process, feeds its standard input, reads its output as it comes, and kills it
/// with its whole process tree at the wall-time limit or on cancellation. Nothing the process does
/// becomes an exception here, apart from cancellation by the caller.
/// </summary>
internal static class SandboxProcess
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static async Task<SandboxExit> RunAsync(
        ProcessStartInfo start,
        string? input,
        TimeSpan timeout,
        Func<StreamReader, Task> readStdout,
        Func<StreamReader, Task> readStderr,
        CancellationToken cancellationToken)
    {
        start.StandardInputEncoding = Utf8;
        start.StandardOutputEncoding = Utf8;
        start.StandardErrorEncoding = Utf8;

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        await ProcessSpawner.StartAsync(process).ConfigureAwait(false);
        var readOut = readStdout(process.StandardOutput);
        var readErr = readStderr(process.StandardError);
        var write = FeedAsync(process.StandardInput, input);
        var timedOut = false;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                timedOut = !cancellationToken.IsCancellationRequested;
                Kill(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (!timedOut)
                {
                    await Task.WhenAll(readOut, readErr, write).ConfigureAwait(false);
                    throw;
                }
            }
        }

        // Output pipes close when the last process holding them ends: with the jail's PID namespace gone, at once.
        await Task.WhenAll(readOut, readErr, write).ConfigureAwait(false);
        return new SandboxExit(timedOut ? 124 : process.ExitCode, timedOut, clock.Elapsed);
    }

    /// <summary>Reads a pipe to its end, keeping what fits: a pipe left unread would block the code.</summary>
    public static async Task DrainAsync(StreamReader reader, BoundedText target)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            target.Append(new string(buffer, 0, read));
        }
    }

    /// <summary>
    /// Reads a pipe until <paramref name="maxChars"/> arrived, then closes it: the writer's further
    /// writes fail at once instead of blocking. For diagnostics only (the worker's crash report, whose
    /// first line says what happened and whose stack trace can run to megabytes).
    /// </summary>
    public static async Task DrainHeadAsync(StreamReader reader, BoundedText target, int maxChars)
    {
        var buffer = new char[8192];
        var total = 0;
        int read;
        while (total < maxChars && (read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            target.Append(new string(buffer, 0, read));
            total += read;
        }

        reader.Dispose();
    }

    private static async Task FeedAsync(StreamWriter writer, string? input)
    {
        try
        {
            if (input is not null)
            {
                await writer.WriteAsync(input).ConfigureAwait(false);
                await writer.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The process ended (or closed its input) before reading it all.
        }

        try
        {
            writer.Close();
        }
        catch (IOException)
        {
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            // bwrap is the jail's parent; with it gone the kernel kills the whole PID namespace.
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
        }
    }
}
