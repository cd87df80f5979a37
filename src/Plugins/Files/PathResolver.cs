namespace Plansmith.Plugins.Files;

/// <summary>How resolving a path under a root went.</summary>
internal enum ResolveStatus
{
    /// <summary>Every component resolved and stayed under the root.</summary>
    Resolved,

    /// <summary>
    /// A component (<c>..</c> or a link) leads out of the root. Nothing outside was examined, so
    /// this says nothing about what exists there.
    /// </summary>
    Outside,

    /// <summary>A component does not exist under the root, or one on the way is not a folder.</summary>
    Missing,

    /// <summary>More links than <see cref="PathResolver.MaxLinkHops"/>, e.g. a loop.</summary>
    TooManyLinks,
}

/// <summary>A path resolved under the root: its real full path, its parts relative to the root and what it is.</summary>
internal readonly record struct ResolvedPath(string FullPath, IReadOnlyList<string> Parts, EntryStatus Status)
{
    /// <summary>The parts joined with '/'; empty for the root itself.</summary>
    public string Relative => string.Join('/', Parts);
}

/// <summary>
/// Resolves paths component by component under one root, like the kernel would, but refuses the
/// moment a <c>..</c> or a link would leave the root, before examining anything outside it. Links
/// that stay inside are followed (at most <see cref="MaxLinkHops"/> of them), so the result is the
/// real path of the entry.
/// </summary>
internal sealed class PathResolver
{
    /// <summary>Links followed in one resolution at most; Linux's own limit (MAXSYMLINKS).</summary>
    public const int MaxLinkHops = 40;

    private static readonly char[] Separators = Path.DirectorySeparatorChar == '/' ? ['/'] : ['/', Path.DirectorySeparatorChar];

    private readonly string _prefix;
    private readonly string[] _absolutePrefixes;
    private readonly bool _parentOfTopIsTop;

    /// <param name="root">The real path of the root (no links in it).</param>
    /// <param name="aliases">Other absolute spellings of the root that absolute link targets may use.</param>
    /// <param name="parentOfTopIsTop">Whether <c>..</c> at the root stays there (the file-system root) instead of leaving.</param>
    public PathResolver(string root, IEnumerable<string> aliases, bool parentOfTopIsTop = false)
    {
        Root = root;
        _prefix = WithSeparator(root);
        _absolutePrefixes = [_prefix, .. aliases.Select(WithSeparator).Where(a => a != _prefix)];
        _parentOfTopIsTop = parentOfTopIsTop;
    }

    /// <summary>The real path of the root.</summary>
    public string Root { get; }

    /// <summary>The real path of an existing absolute path, with every link resolved.</summary>
    /// <exception cref="DirectoryNotFoundException">Some component does not exist.</exception>
    /// <exception cref="IOException">Too many links.</exception>
    public static string RealPath(string absolutePath)
    {
        var full = Path.GetFullPath(absolutePath);
        var top = Path.GetPathRoot(full) ?? throw new ArgumentException($"'{absolutePath}' is not an absolute path.", nameof(absolutePath));
        var resolver = new PathResolver(top, [], parentOfTopIsTop: true);
        return resolver.TryResolve(full[top.Length..], out var resolved) switch
        {
            ResolveStatus.Resolved => resolved.FullPath,
            ResolveStatus.TooManyLinks => throw new IOException($"'{absolutePath}' goes through too many symbolic links."),
            _ => throw new DirectoryNotFoundException($"'{absolutePath}' does not exist."),
        };
    }

    /// <summary>Resolves <paramref name="relative"/> (already checked not to be rooted) under the root.</summary>
    /// <exception cref="IOException">An entry on the way cannot be examined (permissions, I/O).</exception>
    public ResolveStatus TryResolve(string relative, out ResolvedPath resolved)
    {
        resolved = default;
        var pending = new Stack<string>();
        PushParts(pending, relative);
        var parts = new List<string>();
        var status = new EntryStatus(EntryKind.Directory, 0);
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (status.Kind != EntryKind.Directory)
            {
                // "file/x" or "file/..": a component on the way is not a folder.
                return ResolveStatus.Missing;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    if (_parentOfTopIsTop)
                    {
                        continue;
                    }

                    return ResolveStatus.Outside;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            var candidate = Join(parts, part);
            var entry = FileProbe.Lstat(candidate);
            switch (entry.Kind)
            {
                case EntryKind.Missing:
                    return ResolveStatus.Missing;
                case EntryKind.Link:
                    if (++hops > MaxLinkHops)
                    {
                        return ResolveStatus.TooManyLinks;
                    }

                    var target = FileProbe.ReadLink(candidate);
                    if (target is null)
                    {
                        return ResolveStatus.Missing;
                    }

                    if (Path.IsPathRooted(target))
                    {
                        // Only a target spelled under the root is followed; anything else is outside,
                        // decided from the text alone without looking at the target.
                        var rest = StripRoot(target);
                        if (rest is null)
                        {
                            return ResolveStatus.Outside;
                        }

                        parts.Clear();
                        PushParts(pending, rest);
                    }
                    else
                    {
                        PushParts(pending, target);
                    }

                    break;
                default:
                    parts.Add(part);
                    status = entry;
                    break;
            }
        }

        resolved = new ResolvedPath(Join(parts, null), parts, status);
        return ResolveStatus.Resolved;
    }

    /// <summary>The full path of <paramref name="parts"/> under the root.</summary>
    public string Join(IReadOnlyList<string> parts, string? last)
    {
        if (parts.Count == 0 && last is null)
        {
            return Root;
        }

        var all = last is null ? parts : [.. parts, last];
        return _prefix + string.Join(Path.DirectorySeparatorChar, all);
    }

    private string? StripRoot(string target)
    {
        foreach (var prefix in _absolutePrefixes)
        {
            if (string.Equals(WithSeparator(target), prefix, StringComparison.Ordinal))
            {
                return string.Empty;
            }

            if (target.StartsWith(prefix, StringComparison.Ordinal))
            {
                return target[prefix.Length..];
            }
        }

        return null;
    }

    private static void PushParts(Stack<string> pending, string path)
    {
        var split = path.Split(Separators);
        for (var i = split.Length - 1; i >= 0; i--)
        {
            pending.Push(split[i]);
        }
    }

    private static string WithSeparator(string path) =>
        Path.EndsInDirectorySeparator(path) ? path : path + Path.DirectorySeparatorChar;
}
