namespace Plansmith.Plugins.Search;

/// <summary>Where the local corpus is, where its index lives, and what is indexed.</summary>
public sealed class LocalCorpusOptions
{
    /// <summary>The folder of documents to search. Required.</summary>
    public string CorpusDirectory { get; set; } = string.Empty;

    /// <summary>
    /// Where the index is kept; by default a folder under the user's local data directory named
    /// after the corpus path (<c>~/.local/share/plansmith/index/…</c> on Linux).
    /// </summary>
    public string? IndexDirectory { get; set; }

    /// <summary>File endings indexed: documents and source files.</summary>
    public ISet<string> Extensions { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".md", ".markdown", ".txt", ".rst", ".html", ".htm",
        ".cs", ".fs", ".py", ".js", ".ts", ".java", ".go", ".rs", ".c", ".h", ".cpp", ".hpp", ".rb", ".php", ".sh", ".sql", ".kt", ".swift",
    };

    /// <summary>Files larger than this are left out (and counted as skipped). Default 4 MiB.</summary>
    public long MaxFileBytes { get; set; } = 4L << 20;

    /// <summary>The size a passage aims for, in characters. Default 700.</summary>
    public int PassageChars { get; set; } = 700;

    /// <summary>The most results one search returns. Default 100.</summary>
    public int MaxResults { get; set; } = 100;
}
