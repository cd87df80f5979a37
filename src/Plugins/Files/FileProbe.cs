using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Plansmith.Plugins.Files;

/// <summary>What a directory entry is, seen without following a link at its end.</summary>
internal enum EntryKind
{
    /// <summary>Nothing there (or a component on the way is not a folder).</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A folder.</summary>
    Directory,

    /// <summary>A symbolic link (or a junction on Windows).</summary>
    Link,

    /// <summary>A pipe, socket or device: never read, never listed.</summary>
    Other,
}

/// <summary>The kind and size of one entry.</summary>
internal readonly record struct EntryStatus(EntryKind Kind, long Length);

/// <summary>How opening a resolved entry went.</summary>
internal enum OpenStatus
{
    /// <summary>Opened, and it is what the resolution said it is.</summary>
    Opened,

    /// <summary>Gone since it was resolved.</summary>
    Missing,

    /// <summary>Not of the kind asked for (a pipe or device where a file was expected).</summary>
    WrongKind,

    /// <summary>The opened object's real path is not the resolved one: something changed on the way.</summary>
    Moved,
}

/// <summary>
/// File-system primitives for the files plugin. On Linux they use <c>statx</c> and <c>open</c>
/// directly so that pipes and devices are told apart from files (managed APIs cannot), opening
/// never blocks on a pipe (<c>O_NONBLOCK</c>), and the opened object's real path is read back from
/// <c>/proc/self/fd</c>, which closes the race between resolving a path and opening it. Elsewhere
/// they fall back to managed APIs, without the race check.
/// </summary>
internal static class FileProbe
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtNoAutomount = 0x800;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxType = 0x1;
    private const uint StatxSize = 0x200;
    private const int StatxBufferSize = 256;
    private const int StatxModeOffset = 28;
    private const int StatxSizeOffset = 40;
    private const int ModeTypeMask = 0xF000;
    private const int ModeRegular = 0x8000;
    private const int ModeDirectory = 0x4000;
    private const int ModeLink = 0xA000;

    // The same values on x86-64 and arm64 (unlike O_NOFOLLOW and O_DIRECTORY, which differ).
    private const int OpenReadOnly = 0;
    private const int OpenNonBlock = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    private const int ErrorNoEntry = 2;
    private const int ErrorNotDirectory = 20;
    private const int ErrorNameTooLong = 36;

    private static readonly bool ProcFdAvailable = OperatingSystem.IsLinux() && Directory.Exists("/proc/self/fd");

    /// <summary>The entry at <paramref name="path"/>, not following a link at its end.</summary>
    /// <exception cref="IOException">The entry exists but cannot be examined (permissions, I/O).</exception>
    public static EntryStatus Lstat(string path) =>
        OperatingSystem.IsLinux() ? LinuxStat(AtFdCwd, path, AtSymlinkNoFollow | AtNoAutomount) : PortableStat(path);

    /// <summary>The target text of the link at <paramref name="path"/>, or null when it is no longer a link.</summary>
    public static string? ReadLink(string path) => new FileInfo(path).LinkTarget;

    /// <summary>
    /// Opens the regular file at <paramref name="fullPath"/> for reading; on Linux, only when the
    /// opened object is a regular file whose real path is <paramref name="fullPath"/>.
    /// </summary>
    public static OpenStatus TryOpenFile(string fullPath, out FileStream? stream)
    {
        stream = null;
        if (!OperatingSystem.IsLinux())
        {
            try
            {
                stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
                return OpenStatus.Opened;
            }
            catch (FileNotFoundException)
            {
                return OpenStatus.Missing;
            }
        }

        var status = TryOpenVerified(fullPath, EntryKind.Regular, out var handle);
        if (status == OpenStatus.Opened)
        {
            stream = new FileStream(handle!, FileAccess.Read, bufferSize: 4096);
        }

        return status;
    }

    /// <summary>
    /// The names in the folder at <paramref name="fullPath"/>, at most <paramref name="limit"/>, and
    /// a base path under which each name can be examined with <see cref="Lstat"/>. On Linux the folder
    /// is opened and checked first and the names are read through its descriptor, so a folder
    /// swapped for a link meanwhile is not followed. Dispose the result when done with the names.
    /// </summary>
    public static OpenStatus TryOpenFolder(string fullPath, int limit, out FolderListing? listing)
    {
        listing = null;
        SafeFileHandle? handle = null;
        var basePath = fullPath;
        if (OperatingSystem.IsLinux() && ProcFdAvailable)
        {
            var status = TryOpenVerified(fullPath, EntryKind.Directory, out handle);
            if (status != OpenStatus.Opened)
            {
                return status;
            }

            basePath = FdPath(handle!);
        }

        try
        {
            var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };
            var names = Directory.EnumerateFileSystemEntries(basePath, "*", options).Take(limit).Select(Path.GetFileName).OfType<string>().ToArray();
            listing = new FolderListing(basePath, names, handle);
            return OpenStatus.Opened;
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or FileNotFoundException)
        {
            handle?.Dispose();
            return OpenStatus.Missing;
        }
        catch
        {
            handle?.Dispose();
            throw;
        }
    }

    private static OpenStatus TryOpenVerified(string fullPath, EntryKind kind, out SafeFileHandle? handle)
    {
        handle = null;
        var fd = Open(Native(fullPath), OpenReadOnly | OpenNonBlock | OpenCloseOnExec);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is ErrorNoEntry or ErrorNotDirectory or ErrorNameTooLong ? OpenStatus.Missing : throw Failure(error);
        }

        var opened = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (LinuxStat(fd, string.Empty, AtEmptyPath).Kind != kind)
            {
                opened.Dispose();
                return OpenStatus.WrongKind;
            }

            if (ProcFdAvailable && !string.Equals(ReadLink(FdPath(opened)), fullPath, StringComparison.Ordinal))
            {
                opened.Dispose();
                return OpenStatus.Moved;
            }

            handle = opened;
            return OpenStatus.Opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    private static string FdPath(SafeFileHandle handle) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"/proc/self/fd/{handle.DangerousGetHandle()}");

    private static EntryStatus LinuxStat(int directory, string path, int flags)
    {
        var buffer = new byte[StatxBufferSize];
        if (Statx(directory, Native(path), flags, StatxType | StatxSize, buffer) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error is ErrorNoEntry or ErrorNotDirectory or ErrorNameTooLong ? new EntryStatus(EntryKind.Missing, 0) : throw Failure(error);
        }

        var mode = BitConverter.ToUInt16(buffer, StatxModeOffset) & ModeTypeMask;
        var length = (long)BitConverter.ToUInt64(buffer, StatxSizeOffset);
        var kind = mode switch
        {
            ModeRegular => EntryKind.Regular,
            ModeDirectory => EntryKind.Directory,
            ModeLink => EntryKind.Link,
            _ => EntryKind.Other,
        };
        return new EntryStatus(kind, length);
    }

    private static EntryStatus PortableStat(string path)
    {
        try
        {
            var attributes = File.GetAttributes(path);
            if (attributes.HasFlag(FileAttributes.ReparsePoint))
            {
                return new EntryStatus(EntryKind.Link, 0);
            }

            return attributes.HasFlag(FileAttributes.Directory)
                ? new EntryStatus(EntryKind.Directory, 0)
                : new EntryStatus(EntryKind.Regular, new FileInfo(path).Length);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or PathTooLongException)
        {
            return new EntryStatus(EntryKind.Missing, 0);
        }
    }

    // No path in the message: it may be the caller's business to say which path, relative to what.
    private static IOException Failure(int error) => new(Marshal.GetPInvokeErrorMessage(error));

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int directory, byte[] path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(byte[] path, int flags);

    // Paths go to libc as NUL-terminated UTF-8 bytes (callers refuse NULs inside paths).
    private static byte[] Native(string path)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }
}
