namespace Plansmith.Plugins.Search;

/// <summary>One passage found.</summary>
/// <param name="Source">The file, relative to the corpus folder (or the page's URL for web results).</param>
/// <param name="Title">The document's title and the passage's section.</param>
/// <param name="Score">The relevance score (BM25, or cosine similarity after reranking).</param>
/// <param name="Snippet">The part of the passage around the query's words.</param>
/// <param name="Text">The whole passage.</param>
public sealed record SearchHit(string Source, string Title, double Score, string Snippet, string Text);

/// <summary>What an index update did.</summary>
/// <param name="Indexed">Files (re)indexed because they were new or changed.</param>
/// <param name="Unchanged">Files left as they were.</param>
/// <param name="Removed">Files gone from the corpus and from the index.</param>
/// <param name="Skipped">Files left out, with why: binary, too large, unreadable.</param>
/// <param name="Passages">Passages in the index after the update.</param>
public sealed record IndexUpdate(int Indexed, int Unchanged, int Removed, IReadOnlyList<string> Skipped, int Passages);
