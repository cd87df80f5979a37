namespace Plansmith.Plugins.Search;

/// <summary>Reorders search hits by meaning rather than by shared words.</summary>
public interface ISemanticReranker
{
    /// <summary>The hits most similar in meaning to the query, best first, at most <paramref name="top"/>.</summary>
    Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int top, CancellationToken cancellationToken = default);
}
