using System.ComponentModel;
using System.Text;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;

namespace Plansmith.Plugins.Files;

/// <summary>
/// Lists and reads text files under one root folder, so that plan steps can work on local
/// documents. Paths are relative to the root and resolved component by component: a <c>..</c> or
/// a symbolic link that would leave the root is refused wherever it appears, before anything
/// outside is looked at, so errors say nothing about what exists outside. Links that stay inside
/// are followed. Hidden entries (names starting with '.') are neither listed nor read, only
/// regular files are read (never pipes or devices), and listings never enter linked folders.
/// </summary>
public sealed class FilesPlugin
{
    /// <summary>The name the plugin is registered under by default.</summary>
    public const string DefaultName = "files";

    /// <summary>Characters in a path argument at most.</summary>
    public const int MaxPathChars = 4096;

    private const int ShownChars = 200;

    private readonly PathResolver _paths;
    private readonly FilesPluginOptions _options;

    /// <summary>
    /// Creates the plugin over <paramref name="rootDirectory"/>. The root's real path is resolved
    /// once, here: if the path given goes through links, later changes to them do not move the root.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is below 1.</exception>
    public FilesPlugin(string rootDirectory, FilesPluginOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        _options = options ?? new FilesPluginOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxListed, 1, "options.MaxListed");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxScanned, 1, "options.MaxScanned");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxReadChars, 1, "options.MaxReadChars");

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(rootDirectory));
        string real;
        try
        {
            real = PathResolver.RealPath(full);
        }
        catch (IOException ex)
        {
            throw new DirectoryNotFoundException($"The files plugin's root folder '{full}' does not exist. Pass an existing folder.", ex);
        }

        if (FileProbe.Lstat(real).Kind != EntryKind.Directory)
        {
            throw new DirectoryNotFoundException($"The files plugin's root folder '{full}' does not exist or is not a folder. Pass an existing folder.");
        }

        // Absolute link targets may spell the root as it was given, too.
        _paths = new PathResolver(real, [full]);
    }

    /// <summary>Called between resolving a path and opening it; tests use it to change the tree in that gap.</summary>
    internal Action<string>? BeforeOpen { get; set; }

    /// <summary>Lists files under the root whose relative path matches a pattern.</summary>
    [Idempotent]
    [KernelFunction("list"), Description("Lists files under the document folder (or one of its folders) whose name matches a glob such as '*.md', or whose path matches a pattern with '/' such as 'docs/*.txt' or '**/notes/*.md'. Hidden files are left out. Returns a JSON array of {path, bytes}.")]
    public string List(
        [Description("A glob on the file name, e.g. '*.md', or on the path under the folder, e.g. 'docs/**/*.txt'; '*' for every file.")] string pattern = "*",
        [Description("Folder to list, relative to the document folder; empty for the whole folder.")] string folder = "")
    {
        var glob = FileGlob.Parse(pattern);
        var start = Resolve(folder, nameof(folder));
        if (start.Status.Kind != EntryKind.Directory)
        {
            throw new DirectoryNotFoundException($"'{Shown(folder)}' is not a folder under the document folder; give a folder, or list the whole folder with an empty one.");
        }

        var items = Walk(start, glob).OrderBy(item => item.Path, StringComparer.Ordinal).ToList();
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
        var resolved = Resolve(path, nameof(path));
        EnsureRegular(resolved.Status.Kind, path);
        BeforeOpen?.Invoke(resolved.FullPath);

        OpenStatus opened;
        FileStream? stream;
        try
        {
            opened = FileProbe.TryOpenFile(resolved.FullPath, out stream);
        }
        catch (IOException ex)
        {
            throw new IOException($"'{Shown(path)}' cannot be opened: {ex.Message}", ex);
        }

        switch (opened)
        {
            case OpenStatus.Missing:
                throw NotFound(path);
            case OpenStatus.WrongKind:
                throw NotRegular(path);
            case OpenStatus.Moved:
                throw new IOException($"'{Shown(path)}' changed while it was being opened; nothing was read. Try again.");
        }

        await using (stream!.ConfigureAwait(false))
        {
            var limit = Math.Clamp(maxChars, 1, _options.MaxReadChars);
            using var reader = new StreamReader(stream!, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            var buffer = new char[limit + 1];
            var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
            return read > limit
                ? new string(buffer, 0, limit) + $"\n[… cut at {limit} characters]"
                : new string(buffer, 0, read);
        }
    }

    /// <summary>Text from outside for an error message: control characters replaced, cut to a short length.</summary>
    internal static string Shown(string? text)
    {
        text ??= string.Empty;
        var cut = text.Length > ShownChars ? text[..ShownChars] + "…" : text;
        return string.Create(cut.Length, cut, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }

    private ResolvedPath Resolve(string? relative, string parameter)
    {
        relative ??= string.Empty;
        if (relative.Length > MaxPathChars)
        {
            throw new ArgumentException($"The path is {relative.Length} characters long; paths are limited to {MaxPathChars}.", parameter);
        }

        if (relative.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{Shown(relative)}' contains a NUL character; give a plain relative path.", parameter);
        }

        if (Path.IsPathRooted(relative))
        {
            throw new UnauthorizedAccessException($"'{Shown(relative)}' is an absolute path; give a path relative to the document folder.");
        }

        ResolveStatus status;
        ResolvedPath resolved;
        try
        {
            status = _paths.TryResolve(relative, out resolved);
        }
        catch (IOException ex)
        {
            throw new IOException($"'{Shown(relative)}' cannot be examined: {ex.Message}", ex);
        }

        switch (status)
        {
            case ResolveStatus.Outside:
                throw new UnauthorizedAccessException($"'{Shown(relative)}' leads outside the document folder; give a path inside it.");
            case ResolveStatus.TooManyLinks:
                throw new IOException($"'{Shown(relative)}' goes through more than {PathResolver.MaxLinkHops} links (a loop of links?) inside the document folder.");
            case ResolveStatus.Missing:
                throw parameter == "folder"
                    ? new DirectoryNotFoundException($"Folder '{Shown(relative)}' does not exist under the document folder.")
                    : NotFound(relative);
        }

        if (IsHidden(relative.Split('/', Path.DirectorySeparatorChar)) || IsHidden(resolved.Parts))
        {
            throw new UnauthorizedAccessException($"'{Shown(relative)}' is or leads to a hidden entry (a name starting with '.'); hidden files and folders are not served.");
        }

        return resolved;
    }

    private List<FileItem> Walk(ResolvedPath start, FileGlob glob)
    {
        var found = new List<FileItem>();
        var scanned = 0;

        // Depth first, each folder's entries in name order, so that a cut listing is the same every time.
        var folders = new Stack<(IReadOnlyList<string> Parts, string Under)>();
        folders.Push((start.Parts, string.Empty));
        while (folders.Count > 0 && found.Count < _options.MaxListed && scanned < _options.MaxScanned)
        {
            var (parts, under) = folders.Pop();
            FolderListing? listing;
            try
            {
                if (FileProbe.TryOpenFolder(_paths.Join(parts, null), _options.MaxScanned - scanned, out listing) != OpenStatus.Opened)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            using (listing)
            {
                var subfolders = new List<(IReadOnlyList<string>, string)>();
                foreach (var name in listing!.Names.Order(StringComparer.Ordinal))
                {
                    if (++scanned > _options.MaxScanned || found.Count >= _options.MaxListed)
                    {
                        break;
                    }

                    if (name.StartsWith('.'))
                    {
                        continue;
                    }

                    var path = under.Length == 0 ? name : under + "/" + name;
                    var item = Examine(listing.BasePath, parts, name, path, glob, subfolders);
                    if (item is not null)
                    {
                        found.Add(item);
                    }
                }

                for (var i = subfolders.Count - 1; i >= 0; i--)
                {
                    folders.Push(subfolders[i]);
                }
            }
        }

        return found;
    }

    private FileItem? Examine(string basePath, IReadOnlyList<string> parts, string name, string path, FileGlob glob, List<(IReadOnlyList<string>, string)> subfolders)
    {
        EntryStatus entry;
        try
        {
            entry = FileProbe.Lstat(Path.Combine(basePath, name));
        }
        catch (IOException)
        {
            return null;
        }

        IReadOnlyList<string> childParts = [.. parts, name];
        var relative = string.Join('/', childParts);
        switch (entry.Kind)
        {
            case EntryKind.Directory:
                subfolders.Add((childParts, path));
                return null;
            case EntryKind.Regular:
                return glob.Matches(path) ? new FileItem(relative, entry.Length) : null;
            case EntryKind.Link when glob.Matches(path):
                // A link to a file inside the root is listed under its own name; links to folders are
                // not entered (no loops, no duplicates) and links leading out are left out silently.
                try
                {
                    return _paths.TryResolve(relative, out var target) == ResolveStatus.Resolved
                           && target.Status.Kind == EntryKind.Regular && !IsHidden(target.Parts)
                        ? new FileItem(relative, target.Status.Length)
                        : null;
                }
                catch (IOException)
                {
                    return null;
                }

            default:
                return null;
        }
    }

    private static void EnsureRegular(EntryKind kind, string path)
    {
        if (kind == EntryKind.Directory)
        {
            throw new UnauthorizedAccessException($"'{Shown(path)}' is a folder; list it with files.list (folder: '{Shown(path)}').");
        }

        if (kind != EntryKind.Regular)
        {
            throw NotRegular(path);
        }
    }

    private static FileNotFoundException NotFound(string path) =>
        new($"File '{Shown(path)}' does not exist in the document folder. List the files with files.list first.", Shown(path));

    private static IOException NotRegular(string path) =>
        new($"'{Shown(path)}' is not a regular file (a pipe, socket or device); only regular files can be read.");

    private static bool IsHidden(IEnumerable<string> parts) =>
        parts.Any(part => part.Length > 1 && part.StartsWith('.') && part != "..");
}
