namespace Plansmith.Plugins.Search;

/// <summary>
/// Reranking was asked for but no reranker can be had: the MiniLM reranker ships separately
/// (Plansmith.Plugins.Rerank) and was neither given nor found where the settings point.
/// </summary>
public sealed class RerankerUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RerankerUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
