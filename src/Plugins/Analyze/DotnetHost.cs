using System.Runtime.InteropServices;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Finds the <c>dotnet</c> host that runs the JavaScript worker: the runtime this process runs on,
/// so the worker needs no runtime the host does not have.
/// </summary>
internal static class DotnetHost
{
    /// <summary>The host program's real path, or null when there is none to be found.</summary>
    public static string? Find()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";

        // 1. This process is 'dotnet plansmith.dll' (or the tests' host).
        if (Environment.ProcessPath is { } self && string.Equals(Path.GetFileName(self), name, StringComparison.OrdinalIgnoreCase) && File.Exists(self))
        {
            return Jail.RealPath(self);
        }

        // 2. The SDK tells tools and test hosts where it is.
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return Jail.RealPath(hostPath);
        }

        // 3. Next to the runtime this process runs on: <root>/shared/Microsoft.NETCore.App/<version>/.
        var runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)));
        if (root is not null && File.Exists(Path.Combine(root, name)))
        {
            return Jail.RealPath(Path.Combine(root, name));
        }

        // 4. The PATH.
        var found = Jail.Resolve(name);
        return found;
    }

    /// <summary>
    /// What of the .NET install the worker needs inside the jail: the host, its resolver and the
    /// shared runtime (not the SDK, nor other frameworks).
    /// </summary>
    public static IEnumerable<string> RuntimePaths(string dotnet)
    {
        var root = Path.GetDirectoryName(dotnet)!;
        yield return dotnet;
        foreach (var folder in new[] { Path.Combine(root, "host", "fxr"), Path.Combine(root, "shared", "Microsoft.NETCore.App") })
        {
            if (Directory.Exists(folder))
            {
                yield return folder;
            }
        }
    }
}
