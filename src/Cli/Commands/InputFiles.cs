using System.Runtime.InteropServices;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary>What a path from the command line names, so that a folder or a device is refused before it is read.</summary>
internal enum PathKind
{
    Missing,
    Folder,
    RegularFile,
    Fifo,
    Other,
}

/// <summary>
/// Reading files and standard input named on the command line with a bound: <c>/dev/zero</c>, a
/// huge file or an endless pipe is refused after the limit, not read to its end.
/// </summary>
internal static partial class InputFiles
{
    /// <summary>What <paramref name="path"/> is, following links.</summary>
    public static PathKind KindOf(string path)
    {
        if (Directory.Exists(path))
        {
            return PathKind.Folder;
        }

        if (!File.Exists(path))
        {
            return PathKind.Missing;
        }

        if (OperatingSystem.IsLinux() && StatxMode(path) is { } mode)
        {
            return (mode & 0xF000) switch
            {
                0x8000 => PathKind.RegularFile,
                0x4000 => PathKind.Folder,
                0x1000 => PathKind.Fifo,
                _ => PathKind.Other,
            };
        }

        // Elsewhere devices live under /dev; anything else that exists and is not a folder is taken as a file.
        var full = Path.GetFullPath(path);
        return !OperatingSystem.IsWindows() && full.StartsWith("/dev/", StringComparison.Ordinal) ? PathKind.Other : PathKind.RegularFile;
    }

    /// <summary>
    /// Reads at most <paramref name="limit"/> + 1 characters; the caller refuses more than
    /// <paramref name="limit"/>. A read from a pipe or a terminal returns when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static async Task<string> ReadBoundedAsync(TextReader reader, int limit, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new char[64 * 1024];
        while (text.Length <= limit)
        {
            var wanted = Math.Min(buffer.Length, limit + 1 - text.Length);
            // Console.In reads synchronously inside ReadAsync: run it elsewhere so the wait can end on cancellation.
            var read = await Task.Run(() => reader.ReadAsync(buffer.AsMemory(0, wanted), cancellationToken).AsTask(), cancellationToken).WaitAsync(cancellationToken);
            // A signal may end a blocked read early with nothing read: that is a cancellation, not the end of the input.
            cancellationToken.ThrowIfCancellationRequested();
            if (read == 0)
            {
                break;
            }

            text.Append(buffer, 0, read);
        }

        return text.ToString();
    }

    /// <summary>
    /// Reads a file named on the command line, at most <paramref name="limit"/> + 1 characters.
    /// A folder, a device or a missing file is a <see cref="CliSetupException"/> naming <paramref name="what"/> and <paramref name="fix"/>.
    /// </summary>
    public static async Task<string> ReadFileAsync(string path, string what, string fix, int limit, CancellationToken cancellationToken)
    {
        var problem = KindOf(path) switch
        {
            PathKind.Missing => "does not exist",
            PathKind.Folder => "is a folder, not a file",
            PathKind.Other => "is a device, not a file",
            _ => null,
        };
        if (problem is not null)
        {
            throw new CliSetupException($"the {what} '{path}' {problem}. {fix}");
        }

        try
        {
            // Opening a FIFO waits for a writer: that wait, too, must end on Ctrl+C or SIGTERM.
            using var reader = await Task.Run(() => new StreamReader(path), cancellationToken).WaitAsync(cancellationToken);
            return await ReadBoundedAsync(reader, limit, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliSetupException($"the {what} '{path}' cannot be read: {ex.Message} {fix}", ex);
        }
    }

    private static int? StatxMode(string path)
    {
        try
        {
            var buffer = new byte[256];
            const int AtFdCwd = -100;
            const uint StatxType = 1;
            return Statx(AtFdCwd, path, 0, StatxType, buffer) == 0 ? BitConverter.ToUInt16(buffer, 28) : null;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    // struct statx has the same layout on every Linux architecture: stx_mode is the 16 bits at offset 28.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, string pathname, int flags, uint mask, [Out] byte[] buffer);
}
