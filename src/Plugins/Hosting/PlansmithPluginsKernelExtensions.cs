using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Plugins.Analyze;
using Plansmith.Plugins.Files;
using Plansmith.Plugins.Search;
using Plansmith.Plugins.Synthesize;

namespace Plansmith.Plugins.Hosting;

/// <summary>Adds Plansmith's plugins to a kernel.</summary>
public static class PlansmithPluginsKernelExtensions
{
    /// <summary>Adds the files plugin over <paramref name="rootDirectory"/> as <c>files</c>.</summary>
    public static KernelPluginCollection AddFilesPlugin(this KernelPluginCollection plugins, string rootDirectory, FilesPluginOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        plugins.AddFromObject(new FilesPlugin(rootDirectory, options), FilesPlugin.DefaultName);
        return plugins;
    }

    /// <summary>
    /// Adds the research plugins: <c>search</c> (local documents, web search and fetch_url, each only
    /// when configured), <c>analyze</c> (run_code and analyze, JavaScript always and Python when
    /// bubblewrap is there) and <c>synthesize</c> (synthesize and compare). Dispose the returned
    /// object when done with the kernel: it holds the search index and the HTTP clients.
    /// </summary>
    public static IDisposable AddPlansmithPlugins(this KernelPluginCollection plugins, PlansmithPluginsOptions options, PromptLibrary prompts)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prompts);
        var reranker = options.Reranker;
        if (reranker is null && options.Rerank)
        {
            reranker = string.IsNullOrWhiteSpace(options.RerankerPath)
                ? throw new RerankerUnavailableException("Reranking is on (Plansmith:Rerank = true), but no reranker is installed. " + RerankerLoader.HowToInstall)
                : RerankerLoader.Load(options.RerankerPath);
        }

        var resources = new Resources();
        if (reranker is IDisposable loaded && options.Reranker is null)
        {
            resources.Own(loaded);
        }

        LocalSearchIndex? index = null;
        if (options.CorpusDirectory is not null)
        {
            index = resources.Own(new LocalSearchIndex(new LocalCorpusOptions { CorpusDirectory = options.CorpusDirectory, IndexDirectory = options.IndexDirectory }));
        }

        ISearchProvider? web = null;
        if (options.SearxngUrl is not null)
        {
            web = new SearxngSearchProvider(resources.Own(new HttpClient { Timeout = options.Fetch.Timeout }), options.SearxngUrl);
        }
        else if (!string.IsNullOrWhiteSpace(options.BraveApiKey))
        {
            web = new BraveSearchProvider(resources.Own(new HttpClient { Timeout = options.Fetch.Timeout }), options.BraveApiKey);
        }

        var fetcher = options.EnableFetch ? resources.Own(new UrlFetcher(options.Fetch)) : null;
        var search = new SearchPlugin(index, web, fetcher, reranker);
        var searchPlugin = KernelPluginFactory.CreateFromObject(search, SearchPlugin.DefaultName);
        var served = searchPlugin.Where(f => search.Serves(f.Name)).ToList();
        if (served.Count > 0)
        {
            plugins.Add(KernelPluginFactory.CreateFromFunctions(SearchPlugin.DefaultName, searchPlugin.Description, served));
        }

        plugins.AddFromObject(new AnalyzePlugin([new JintSandbox(options.Bubblewrap), new BubblewrapPythonSandbox(options.Bubblewrap)], options.Analyze, prompts), AnalyzePlugin.DefaultName);
        plugins.AddFromObject(new SynthesizePlugin(prompts), SynthesizePlugin.DefaultName);
        return resources;
    }

    private sealed class Resources : IDisposable
    {
        private readonly List<IDisposable> _owned = [];

        public T Own<T>(T resource)
            where T : IDisposable
        {
            _owned.Add(resource);
            return resource;
        }

        public void Dispose()
        {
            foreach (var resource in _owned)
            {
                resource.Dispose();
            }
        }
    }
}
