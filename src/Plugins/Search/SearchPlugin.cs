using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;

namespace Plansmith.Plugins.Search;

/// <summary>
/// Search for the research agent: the user's documents (a local BM25 index, optionally reranked by
/// meaning), the web through a configured provider, and the readable text of a page. Results are
/// data: whatever a page or passage says, it is returned as text and nothing more.
/// </summary>
public sealed class SearchPlugin
{
    /// <summary>The name the plugin is registered under.</summary>
    public const string DefaultName = "search";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly ILocalSearchIndex? _local;
    private readonly ISearchProvider? _web;
    private readonly UrlFetcher? _fetcher;
    private readonly ISemanticReranker? _reranker;
    private readonly int _maxPassageChars;

    /// <summary>Creates the plugin; leave out what is not configured.</summary>
    public SearchPlugin(ILocalSearchIndex? local = null, ISearchProvider? web = null, UrlFetcher? fetcher = null, ISemanticReranker? reranker = null, int maxPassageChars = 900)
    {
        _local = local;
        _web = web;
        _fetcher = fetcher;
        _reranker = reranker;
        _maxPassageChars = maxPassageChars;
    }

    /// <summary>Searches the local documents.</summary>
    [Idempotent]
    [KernelFunction("search"), Description("Searches the user's documents and returns the best matching passages as JSON: source file, title, score, snippet and passage text.")]
    public async Task<string> SearchAsync(
        [Description("What to look for, in words likely to appear in the documents.")] string query,
        [Description("How many passages to return (1-20).")] int top = 5,
        CancellationToken cancellationToken = default)
    {
        if (_local is null)
        {
            throw new InvalidOperationException("No document folder is configured for search. Give one with --corpus DIR (or PlansmithPluginsOptions.CorpusDirectory), or use web_search.");
        }

        top = Math.Clamp(top, 1, 20);
        var hits = _reranker is null
            ? await _local.SearchAsync(query, top, cancellationToken).ConfigureAwait(false)
            : await _reranker.RerankAsync(query, await _local.SearchAsync(query, Math.Max(30, top * 6), cancellationToken).ConfigureAwait(false), top, cancellationToken).ConfigureAwait(false);
        string? note = null;
        if (hits.Count == 0)
        {
            note = string.IsNullOrWhiteSpace(query)
                ? "The query is empty: give the words to look for."
                : $"No passage matches \"{query}\". Common words such as 'the' or 'of' are ignored; try more specific terms or synonyms.";
        }

        return Serialize(query, hits, note);
    }

    /// <summary>Searches the web through the configured provider.</summary>
    [Idempotent]
    [KernelFunction("web_search"), Description("Searches the web and returns the best results as JSON: url, title and snippet.")]
    public async Task<string> WebSearchAsync(
        [Description("The search query.")] string query,
        [Description("How many results to return (1-20).")] int top = 5,
        CancellationToken cancellationToken = default)
    {
        if (_web is null)
        {
            throw new InvalidOperationException("No web search provider is configured (SearXNG or Brave).");
        }

        var hits = await _web.SearchAsync(query, Math.Clamp(top, 1, 20), cancellationToken).ConfigureAwait(false);
        return Serialize(query, hits, hits.Count == 0 ? $"The web search found nothing for \"{query}\"." : null);
    }

    /// <summary>Fetches a page's readable text.</summary>
    [Idempotent]
    [KernelFunction("fetch_url"), Description("Fetches a web page (http or https) and returns its readable text, without navigation or scripts.")]
    public Task<string> FetchUrlAsync(
        [Description("The page's full URL.")] string url,
        CancellationToken cancellationToken = default) =>
        (_fetcher ?? throw new InvalidOperationException("Fetching pages is not enabled.")).FetchAsync(url, cancellationToken);

    /// <summary>The functions this instance can serve: only those whose backend is configured.</summary>
    internal bool Serves(string function) => function switch
    {
        "search" => _local is not null,
        "web_search" => _web is not null,
        "fetch_url" => _fetcher is not null,
        _ => false,
    };

    private string Serialize(string query, IReadOnlyList<SearchHit> hits, string? note) =>
        JsonSerializer.Serialize(
            new
            {
                query,
                results = hits.Select(h => new
                {
                    source = h.Source,
                    title = h.Title,
                    score = h.Score,
                    snippet = h.Snippet,
                    text = h.Text.Length > _maxPassageChars ? h.Text[.._maxPassageChars] + "…" : h.Text,
                }),
                note,
            },
            Json);
}
