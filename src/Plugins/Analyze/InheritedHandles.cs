using System.Globalization;
using System.Runtime.InteropServices;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Keeps the host's file descriptors out of sandboxes. .NET opens its own with close-on-exec, but a
/// descriptor the host inherited from its parent, or one a native library opened, is passed to every
/// child: a directory descriptor would show the host's file system inside the jail, a writable one
/// would write host files. Before a sandbox starts, every descriptor above standard error is marked
/// close-on-exec, so only standard input, output and error reach the child.
/// </summary>
internal static partial class InheritedHandles
{
    private const int GetFlags = 1; // F_GETFD
    private const int SetFlags = 2; // F_SETFD
    private const int CloseOnExec = 1; // FD_CLOEXEC

    /// <summary>Marks every open descriptor above 2 close-on-exec; returns how many it changed.</summary>
    public static int MarkCloseOnExec()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        var changed = 0;
        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries("/proc/self/fd");
        }
        catch (IOException)
        {
            return 0;
        }

        foreach (var entry in entries)
        {
            // The listing's own descriptor is among them; it is close-on-exec already, and gone by now.
            if (!int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) || fd <= 2)
            {
                continue;
            }

            var flags = Fcntl(fd, GetFlags, 0);
            if (flags >= 0 && (flags & CloseOnExec) == 0 && Fcntl(fd, SetFlags, flags | CloseOnExec) == 0)
            {
                changed++;
            }
        }

        return changed;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
