using System.IO.Enumeration;

namespace Plansmith.Plugins.Files;

/// <summary>
/// A listing pattern. Without '/', it matches file names at any depth ('*.md'); with '/', it
/// matches the path under the listed folder segment by segment, '**' standing for any number of
/// folders ('docs/**/*.txt'). It is only ever matched against entries found under the root, so it
/// cannot name anything outside; patterns that try (absolute, '..') are refused rather than ignored.
/// </summary>
internal sealed class FileGlob
{
    /// <summary>Characters in a pattern at most.</summary>
    public const int MaxLength = 256;

    /// <summary>Segments in a pattern at most.</summary>
    public const int MaxSegments = 32;

    private static readonly bool IgnoreCase = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS();

    private readonly string[] _segments;
    private readonly bool _nameOnly;

    private FileGlob(string[] segments, bool nameOnly)
    {
        _segments = segments;
        _nameOnly = nameOnly;
    }

    /// <summary>Parses a pattern; empty means every file.</summary>
    /// <exception cref="ArgumentException">The pattern is too long or holds a NUL character.</exception>
    /// <exception cref="UnauthorizedAccessException">The pattern is absolute or climbs with '..'.</exception>
    public static FileGlob Parse(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return new FileGlob(["*"], nameOnly: true);
        }

        if (pattern.Length > MaxLength)
        {
            throw new ArgumentException($"The pattern is {pattern.Length} characters long; patterns are limited to {MaxLength}.", nameof(pattern));
        }

        if (pattern.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("The pattern contains a NUL character; give a plain glob such as '*.md'.", nameof(pattern));
        }

        if (Path.IsPathRooted(pattern) || pattern.StartsWith('/') || pattern.StartsWith('\\'))
        {
            throw new UnauthorizedAccessException($"'{FilesPlugin.Shown(pattern)}' is an absolute pattern; patterns match paths inside the listed folder, e.g. '*.md' or 'docs/**/*.txt'.");
        }

        var segments = pattern.Split('/', Path.DirectorySeparatorChar).Where(s => s.Length > 0 && s != ".").ToArray();
        if (segments.Any(s => s == ".."))
        {
            throw new UnauthorizedAccessException($"The pattern '{FilesPlugin.Shown(pattern)}' leads outside the document folder; patterns cannot contain '..'.");
        }

        if (segments.Length > MaxSegments)
        {
            throw new ArgumentException($"The pattern has {segments.Length} segments; patterns are limited to {MaxSegments}.", nameof(pattern));
        }

        if (segments.Length == 0)
        {
            return new FileGlob(["*"], nameOnly: true);
        }

        var nameOnly = segments.Length == 1 && !pattern.Contains('/', StringComparison.Ordinal);
        return new FileGlob(segments, nameOnly);
    }

    /// <summary>Whether the file at <paramref name="relativePath"/> ('/'-separated, under the listed folder) matches.</summary>
    public bool Matches(string relativePath)
    {
        var parts = relativePath.Split('/');
        if (_nameOnly)
        {
            return Match(_segments[0], parts[^1]);
        }

        // can[i][j]: segments from i on match parts from j on.
        var can = new bool[_segments.Length + 1, parts.Length + 1];
        can[_segments.Length, parts.Length] = true;
        for (var i = _segments.Length - 1; i >= 0; i--)
        {
            for (var j = parts.Length; j >= 0; j--)
            {
                can[i, j] = _segments[i] == "**"
                    ? can[i + 1, j] || (j < parts.Length && can[i, j + 1])
                    : j < parts.Length && Match(_segments[i], parts[j]) && can[i + 1, j + 1];
            }
        }

        return can[0, 0];
    }

    private static bool Match(string segment, string name) =>
        FileSystemName.MatchesSimpleExpression(segment, name, IgnoreCase);
}
