using Plansmith.Plugins.Analyze;
using Plansmith.Plugins.Search;

namespace Plansmith.Plugins.Hosting;

/// <summary>What the research plugins use. Everything is optional except where noted.</summary>
public sealed class PlansmithPluginsOptions
{
    /// <summary>A folder of documents for <c>search.search</c>; null leaves local search out.</summary>
    public string? CorpusDirectory { get; set; }

    /// <summary>Where the search index is kept; null for the default under the user's data folder.</summary>
    public string? IndexDirectory { get; set; }

    /// <summary>
    /// Rerank local search results by meaning. Default false. The reranker ships separately:
    /// set <see cref="Reranker"/> (library) or <see cref="RerankerPath"/> (a published folder);
    /// with neither, adding the plugins fails with <see cref="RerankerUnavailableException"/>.
    /// </summary>
    public bool Rerank { get; set; }

    /// <summary>
    /// The reranker to use, e.g. <c>new MiniLmReranker()</c> from the Plansmith.Plugins.Rerank
    /// package; when set, search reranks whatever <see cref="Rerank"/> says. The caller owns it.
    /// </summary>
    public ISemanticReranker? Reranker { get; set; }

    /// <summary>
    /// A folder made with <c>dotnet publish src/Rerank -c Release -r RID -o FOLDER</c>, loaded when
    /// <see cref="Rerank"/> is on and no <see cref="Reranker"/> is set.
    /// </summary>
    public string? RerankerPath { get; set; }

    /// <summary>A SearXNG instance for <c>search.web_search</c>, e.g. <c>http://localhost:8888/</c>.</summary>
    public Uri? SearxngUrl { get; set; }

    /// <summary>A Brave Search API key for <c>search.web_search</c> (used when no SearXNG URL is set). Never logged.</summary>
    public string? BraveApiKey { get; set; }

    /// <summary>Whether <c>search.fetch_url</c> is offered. Default true.</summary>
    public bool EnableFetch { get; set; } = true;

    /// <summary>Limits of <c>fetch_url</c>.</summary>
    public UrlFetcherOptions Fetch { get; set; } = new();

    /// <summary>How code runs for <c>analyze.run_code</c> and <c>analyze.analyze</c>.</summary>
    public AnalyzeOptions Analyze { get; set; } = new();

    /// <summary>Where the Python sandbox finds bubblewrap and Python.</summary>
    public BubblewrapOptions Bubblewrap { get; set; } = new();
}
