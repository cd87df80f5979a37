using System.Globalization;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// A run's host folder (the script, the seccomp filter), named <c>plansmith-sandbox-{pid}-{random}</c>
/// so a later process can tell whose it is. The code's writable space is a size-limited tmpfs inside
/// the jail, not this folder; the folder only holds files the jail reads, and is removed when the run
/// ends however it ends. Folders left by a process that died are swept when a sandbox first starts.
/// </summary>
internal sealed class SandboxWorkFolder : IDisposable
{
    public const string Prefix = "plansmith-sandbox-";
    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);
    private static readonly Lock SweepLock = new();
    private static readonly HashSet<string> Swept = new(StringComparer.Ordinal);

    private SandboxWorkFolder(string path)
    {
        Path = path;
    }

    public string Path { get; }

    /// <summary>Creates a folder under <paramref name="root"/> readable (not writable) by the sandbox's user.</summary>
    public static SandboxWorkFolder Create(string root)
    {
        lock (SweepLock)
        {
            if (Swept.Add(root))
            {
                SweepStale(root, TimeProvider.System.GetUtcNow());
            }
        }

        var path = System.IO.Path.Combine(root, $"{Prefix}{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            // Private: the script (and the data in it) is nobody else's to read. When the host is
            // root the jail runs as another user, and GiveTo hands it the folder.
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return new SandboxWorkFolder(path);
    }

    /// <summary>Writes a file the jail will read.</summary>
    public string Write(string name, ReadOnlySpan<byte> content)
    {
        var file = System.IO.Path.Combine(Path, name);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(file, options))
        {
            stream.Write(content);
        }

        return file;
    }

    /// <summary>
    /// Makes the folder and its files the jail user's (when the host is root and the code runs as
    /// <paramref name="userId"/>), so that user, and only it, can read them. Null: the jail runs
    /// as the host's own user, who owns them already.
    /// </summary>
    public void GiveTo(int? userId)
    {
        if (userId is not { } uid || !OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(Path).Append(Path))
        {
            if (Chown(System.Text.Encoding.UTF8.GetBytes(entry + "\0"), (uint)uid, (uint)uid) != 0)
            {
                throw new IOException($"The sandbox folder could not be handed to the sandbox user {uid} (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}).");
            }
        }
    }

    public void Dispose() => TryDelete(Path);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int Chown(byte[] path, uint owner, uint group);

    /// <summary>
    /// Removes folders of ours under <paramref name="root"/> older than an hour whose process is gone.
    /// Returns how many it removed.
    /// </summary>
    internal static int SweepStale(string root, DateTimeOffset now)
    {
        var removed = 0;
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(root, Prefix + "*").ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }

        foreach (var folder in candidates)
        {
            try
            {
                var info = new DirectoryInfo(folder);
                if (info.LinkTarget is not null || now - info.LastWriteTimeUtc < StaleAfter || OwnerIsAlive(info.Name))
                {
                    continue;
                }

                if (TryDelete(folder))
                {
                    removed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another process removed it, or it is not ours to remove.
            }
        }

        return removed;
    }

    private static bool OwnerIsAlive(string name)
    {
        // plansmith-sandbox-{pid}-{random}; older versions had no pid and are judged by age alone.
        var rest = name.AsSpan(Prefix.Length);
        var dash = rest.IndexOf('-');
        if (dash <= 0 || !int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        return OperatingSystem.IsLinux() ? Directory.Exists($"/proc/{pid}") : IsRunning(pid);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
