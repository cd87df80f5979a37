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

    /// <summary>Rerank local search results by meaning with the bundled MiniLM model. Default false.</summary>
    public bool Rerank { get; set; }

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
