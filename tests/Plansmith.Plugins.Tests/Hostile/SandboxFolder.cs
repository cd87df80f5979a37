namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>A test's own work root for sandbox runs, which the sandbox's user id may pass through (not write).</summary>
public sealed class SandboxFolder : IDisposable
{
    public SandboxFolder()
    {
        Path = Directory.CreateTempSubdirectory("plansmith-hostile-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
    }

    public string Path { get; }

    /// <summary>What is left in the folder: run folders should never be.</summary>
    public IReadOnlyList<string> Entries => Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName).ToList()!;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
