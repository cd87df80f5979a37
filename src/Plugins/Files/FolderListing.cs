using Microsoft.Win32.SafeHandles;

namespace Plansmith.Plugins.Files;

/// <summary>Names read from one folder, and the path to examine them under.</summary>
internal sealed class FolderListing(string basePath, string[] names, SafeFileHandle? handle) : IDisposable
{
    /// <summary>The folder's path for examining entries: on Linux, its descriptor under /proc/self/fd.</summary>
    public string BasePath { get; } = basePath;

    /// <summary>The entry names, in no particular order.</summary>
    public IReadOnlyList<string> Names { get; } = names;

    /// <inheritdoc />
    public void Dispose() => handle?.Dispose();
}
