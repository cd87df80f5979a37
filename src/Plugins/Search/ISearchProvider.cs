namespace Plansmith.Plugins.Search;

/// <summary>A web search engine reached over HTTP.</summary>
public interface ISearchProvider
{
    /// <summary>The provider's name, e.g. <c>searxng</c>.</summary>
    string Name { get; }

    /// <summary>The best results for the query, best first.</summary>
    Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default);
}

/// <summary>A search provider failed; the message says which and why, never with a key.</summary>
public sealed class SearchProviderException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SearchProviderException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
