namespace Plansmith.Plugins.Search;

/// <summary>Searches the user's own documents.</summary>
public interface ILocalSearchIndex
{
    /// <summary>The passages that best match the query, best first.</summary>
    Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int top, CancellationToken cancellationToken = default);
}
