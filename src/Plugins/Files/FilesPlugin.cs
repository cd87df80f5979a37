using System.ComponentModel;
using System.Text;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;

namespace Plansmith.Plugins.Files;

/// <summary>
/// Lists and reads text files under one root folder, so that plan steps can work on local
/// documents. Paths are relative to the root; nothing outside it can be named, whatever the path
/// says (<c>..</c>, absolute paths and symbolic links that lead out are refused).
/// </summary>
public sealed class FilesPlugin
{
    /// <summary>The name the plugin is registered under by default.</summary>
    public const string DefaultName = "files";

    private readonly string _root;
    private readonly FilesPluginOptions _options;

    /// <summary>Creates the plugin over <paramref name="rootDirectory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public FilesPlugin(string rootDirectory, FilesPluginOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        var full = Path.GetFullPath(rootDirectory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"The files plugin's root folder '{full}' does not exist. Pass an existing folder.");
        }

        _root = Path.TrimEndingDirectorySeparator(full);
        _options = options ?? new FilesPluginOptions();
    }

    /// <summary>Lists files under the root whose relative path matches a pattern.</summary>
    [Idempotent]
    [KernelFunction("list"), Description("Lists files under the document folder whose path matches a glob pattern such as '*.md' or 'docs/*.txt'. Returns a JSON array of {path, bytes}.")]
    public string List(
        [Description("A glob pattern on the file name, e.g. '*.md'; '*' for every file.")] string pattern = "*",
        [Description("Folder to list, relative to the document folder; empty for the whole folder.")] string folder = "")
    {
        var directory = Resolve(folder, mustExist: false);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Folder '{folder}' does not exist under the document folder.");
        }

        var items = Directory.EnumerateFiles(directory, string.IsNullOrWhiteSpace(pattern) ? "*" : pattern, SearchOption.AllDirectories)
            .Where(path => !IsHidden(path))
            .Select(path => new FileItem(Path.GetRelativePath(_root, path).Replace('\\', '/'), new FileInfo(path).Length))
            .OrderBy(item => item.Path, StringComparer.Ordinal)
            .Take(_options.MaxListed)
            .ToList();
        return JsonSerializer.Serialize(items, FilesJsonContext.Default.ListFileItem);
    }

    /// <summary>Reads a text file under the root, up to a size limit.</summary>
    [Idempotent]
    [KernelFunction("read"), Description("Reads a text file from the document folder. Long files are cut at maxChars characters and say so.")]
    public async Task<string> ReadAsync(
        [Description("Path of the file, relative to the document folder.")] string path,
        [Description("The most characters to return.")] int maxChars = 20_000,
        CancellationToken cancellationToken = default)
    {
        var full = Resolve(path, mustExist: true);
        var limit = Math.Clamp(maxChars, 1, _options.MaxReadChars);
        using var reader = new StreamReader(full, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var buffer = new char[limit + 1];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
        return read > limit
            ? new string(buffer, 0, limit) + $"\n[… cut at {limit} characters]"
            : new string(buffer, 0, read);
    }

    private string Resolve(string relative, bool mustExist)
    {
        relative ??= string.Empty;
        if (Path.IsPathRooted(relative))
        {
            throw new UnauthorizedAccessException($"'{relative}' is an absolute path; give a path relative to the document folder.");
        }

        var full = Path.GetFullPath(Path.Combine(_root, relative));
        if (!IsInsideRoot(full))
        {
            throw new UnauthorizedAccessException($"'{relative}' leads outside the document folder; give a path inside it.");
        }

        if (mustExist)
        {
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"File '{relative}' does not exist in the document folder. List the files with files.list first.", relative);
            }

            // A symbolic link inside the root may still point outside it.
            var target = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null && !IsInsideRoot(Path.GetFullPath(target.FullName)))
            {
                throw new UnauthorizedAccessException($"'{relative}' is a link that leads outside the document folder.");
            }
        }

        return full;
    }

    private bool IsInsideRoot(string full) =>
        string.Equals(full, _root, StringComparison.Ordinal)
        || full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private bool IsHidden(string path) =>
        Path.GetRelativePath(_root, path).Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.'));
}
