using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;
using LuceneDirectory = Lucene.Net.Store.Directory;

namespace Plansmith.Plugins.Search;

/// <summary>
/// A Lucene.Net BM25 index of passages over a folder of documents. It is built on first use,
/// kept on disk, and refreshed incrementally: only files whose size or time changed are read again.
/// Binary, oversized and unreadable files are skipped and reported, never fatal.
/// </summary>
public sealed class LocalSearchIndex : ILocalSearchIndex, IDisposable
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private const string ManifestFile = "plansmith-manifest.json";
    private readonly LocalCorpusOptions _options;
    private readonly string _corpus;
    private readonly string _indexPath;
    private readonly Analyzer _analyzer = new EnglishAnalyzer(Version);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private LuceneDirectory? _directory;
    private DirectoryReader? _reader;
    private bool _checked;

    /// <summary>Creates the index over <see cref="LocalCorpusOptions.CorpusDirectory"/>; nothing is read until the first search.</summary>
    /// <exception cref="DirectoryNotFoundException">The corpus folder does not exist.</exception>
    public LocalSearchIndex(LocalCorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.CorpusDirectory) || !System.IO.Directory.Exists(options.CorpusDirectory))
        {
            throw new DirectoryNotFoundException($"The corpus folder '{options.CorpusDirectory}' does not exist. Point the search plugin at a folder of documents (--corpus DIR).");
        }

        _options = options;
        _corpus = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.CorpusDirectory));
        _indexPath = options.IndexDirectory ?? DefaultIndexPath(_corpus);
    }

    /// <summary>Where the index is kept.</summary>
    public string IndexPath => _indexPath;

    /// <summary>The last update, or null before the first.</summary>
    public IndexUpdate? LastUpdate { get; private set; }

    /// <summary>The index folder Plansmith uses for a corpus by default.</summary>
    public static string DefaultIndexPath(string corpusDirectory)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(corpusDirectory))))[..16];
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "plansmith", "index", hash);
    }

    /// <summary>Brings the index up to date with the folder: new and changed files are read, deleted ones removed.</summary>
    public async Task<IndexUpdate> UpdateAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return UpdateLocked(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The passages that best match the query, best first. The index is updated first on the first call.</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_checked)
            {
                UpdateLocked(cancellationToken);
            }

            if (_reader is null || _reader.NumDocs == 0 || string.IsNullOrWhiteSpace(query))
            {
                return [];
            }

            // The query is words, not Lucene syntax: analyse it and look for any of its terms,
            // so that nothing a model writes (AND, quotes, brackets) can break the search.
            var terms = QueryTerms(query);
            if (terms.Count == 0)
            {
                return [];
            }

            var parsed = new BooleanQuery();
            foreach (var term in terms.Distinct(StringComparer.Ordinal).Take(200))
            {
                parsed.Add(new TermQuery(new Term("text", term)), Occur.SHOULD);
                parsed.Add(new TermQuery(new Term("title", term)) { Boost = 1.5f }, Occur.SHOULD);
            }

            var searcher = new IndexSearcher(_reader) { Similarity = new BM25Similarity() };
            var found = searcher.Search(parsed, Math.Clamp(top, 1, Math.Max(1, _options.MaxResults)));
            return [.. found.ScoreDocs.Select(hit =>
            {
                var doc = searcher.Doc(hit.Doc);
                var text = doc.Get("text", System.Globalization.CultureInfo.InvariantCulture);
                return new SearchHit(doc.Get("path", System.Globalization.CultureInfo.InvariantCulture), doc.Get("title", System.Globalization.CultureInfo.InvariantCulture), Math.Round(hit.Score, 4), Snippet(text, terms), text);
            })];
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _reader?.Dispose();
        _directory?.Dispose();
        _analyzer.Dispose();
        _gate.Dispose();
    }

    private IndexUpdate UpdateLocked(CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(_indexPath);
        _directory ??= FSDirectory.Open(_indexPath);
        var manifestPath = Path.Combine(_indexPath, ManifestFile);
        var manifest = ReadManifest(manifestPath);
        var current = new Dictionary<string, FileStamp>(StringComparer.Ordinal);
        var skipped = new List<string>();
        foreach (var file in EnumerateFiles(skipped))
        {
            current[file.Relative] = file.Stamp;
        }

        var config = new IndexWriterConfig(Version, _analyzer) { OpenMode = OpenMode.CREATE_OR_APPEND, Similarity = new BM25Similarity() };
        int indexed = 0, unchanged = 0, removed = 0;
        using (var writer = new IndexWriter(_directory, config))
        {
            foreach (var gone in manifest.Keys.Where(k => !current.ContainsKey(k)).ToList())
            {
                writer.DeleteDocuments(new Term("path", gone));
                manifest.Remove(gone);
                removed++;
            }

            foreach (var (relative, stamp) in current)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (manifest.TryGetValue(relative, out var known) && known == stamp)
                {
                    unchanged++;
                    continue;
                }

                writer.DeleteDocuments(new Term("path", relative));
                manifest.Remove(relative);
                var text = ReadText(Path.Combine(_corpus, relative), out var skipReason);
                if (text is null)
                {
                    skipped.Add($"{relative}: {skipReason}");
                    continue;
                }

                var document = TextExtractor.Extract(relative, text);
                var ordinal = 0;
                foreach (var passage in Passages.Split(document, _options.PassageChars, _options.PassageChars * 2))
                {
                    writer.AddDocument(new Document
                    {
                        new StringField("path", relative, Field.Store.YES),
                        new TextField("title", passage.Title, Field.Store.YES),
                        new TextField("text", passage.Text, Field.Store.YES),
                        new StoredField("ordinal", ordinal++),
                    });
                }

                manifest[relative] = stamp;
                indexed++;
            }

            writer.Commit();
        }

        WriteManifest(manifestPath, manifest);
        _reader?.Dispose();
        _reader = DirectoryReader.Open(_directory);
        _checked = true;
        LastUpdate = new IndexUpdate(indexed, unchanged, removed, skipped, _reader.NumDocs);
        return LastUpdate;
    }

    private IEnumerable<(string Relative, FileStamp Stamp)> EnumerateFiles(List<string> skipped)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.Hidden | FileAttributes.System, ReturnSpecialDirectories = false };
        foreach (var path in System.IO.Directory.EnumerateFiles(_corpus, "*", options))
        {
            var relative = Path.GetRelativePath(_corpus, path).Replace('\\', '/');
            if (relative.Split('/').Any(part => part.StartsWith('.')) || !_options.Extensions.Contains(Path.GetExtension(path)))
            {
                continue;
            }

            FileInfo info;
            try
            {
                info = new FileInfo(path);
                if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is not FileInfo { Exists: true } target)
                {
                    skipped.Add($"{relative}: a link to nothing");
                    continue;
                }

                // Empty files hold nothing to index, and FIFOs and devices (which report a length
                // of 0) would block a read forever.
                if (info.Length == 0 || (info.Attributes & FileAttributes.Device) != 0)
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                skipped.Add($"{relative}: {ex.Message}");
                continue;
            }

            if (info.Length > _options.MaxFileBytes)
            {
                skipped.Add($"{relative}: larger than {_options.MaxFileBytes / (1 << 20)} MiB");
                continue;
            }

            yield return (relative, new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks));
        }
    }

    /// <summary>The file's text, or null with the reason: binary or unreadable. Non-UTF-8 text is read as Latin-1.</summary>
    private static string? ReadText(string path, out string? reason)
    {
        reason = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            reason = "unreadable: " + ex.Message;
            return null;
        }

        if (bytes.AsSpan(0, Math.Min(bytes.Length, 8192)).Contains((byte)0))
        {
            reason = "binary";
            return null;
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    private static Dictionary<string, FileStamp> ReadManifest(string path)
    {
        try
        {
            return File.Exists(path)
                ? JsonSerializer.Deserialize(File.ReadAllText(path), SearchJsonContext.Default.DictionaryStringFileStamp) ?? []
                : [];
        }
        catch (JsonException)
        {
            // A damaged manifest only costs a full re-read.
            return [];
        }
    }

    private static void WriteManifest(string path, Dictionary<string, FileStamp> manifest)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(manifest, SearchJsonContext.Default.DictionaryStringFileStamp));
        File.Move(temp, path, overwrite: true);
    }

    private List<string> QueryTerms(string query)
    {
        var terms = new List<string>();
        using var stream = _analyzer.GetTokenStream("text", query);
        var attribute = stream.AddAttribute<Lucene.Net.Analysis.TokenAttributes.ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken())
        {
            terms.Add(attribute.ToString());
        }

        stream.End();
        return terms;
    }

    private static string Snippet(string text, List<string> stems)
    {
        const int Width = 240;
        var lower = text.ToLowerInvariant();
        var at = stems.Select(s => lower.IndexOf(s, StringComparison.Ordinal)).Where(i => i >= 0).DefaultIfEmpty(0).Min();
        var start = Math.Max(0, at - (Width / 3));
        var length = Math.Min(Width, text.Length - start);
        var snippet = text.Substring(start, length).ReplaceLineEndings(" ").Trim();
        return (start > 0 ? "…" : string.Empty) + snippet + (start + length < text.Length ? "…" : string.Empty);
    }
}

/// <summary>A file's size and last write time: when either changes the file is read again.</summary>
public readonly record struct FileStamp(long Length, long WriteTicks);
