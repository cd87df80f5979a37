using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Plansmith.Plugins.Analyze;
using Plansmith.Plugins.Rerank;
using Plansmith.Plugins.Search;

namespace Plansmith.Bench;

/// <summary>
/// Retrieval quality on a real corpus (recall@5 with and without reranking) and sandbox start-up
/// cost. Run: dotnet run -c Release --project bench/Plansmith.Bench -- retrieval [CORPUS] [QUESTIONS]
/// Default corpus: Python's HTML documentation from Debian's python3.11-doc package.
/// </summary>
internal static class RetrievalEval
{
    private sealed record Question(string question, string[] expected);

    public static async Task<int> RunAsync(string[] args)
    {
        var corpus = args.Length > 0 ? args[0] : "/usr/share/doc/python3.11/html";
        var questionsPath = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "retrieval", "python-docs-questions.json");
        if (!Directory.Exists(corpus))
        {
            Console.Error.WriteLine($"Corpus '{corpus}' not found. Install it: apt-get install python3.11-doc, or pass a folder.");
            return 2;
        }

        var questions = JsonSerializer.Deserialize<List<Question>>(await File.ReadAllTextAsync(questionsPath))!;
        var indexDir = Path.Combine(Path.GetTempPath(), "plansmith-eval-index");
        if (Directory.Exists(indexDir))
        {
            Directory.Delete(indexDir, recursive: true);
        }

        using var index = new LocalSearchIndex(new LocalCorpusOptions { CorpusDirectory = corpus, IndexDirectory = indexDir });
        var clock = Stopwatch.StartNew();
        var update = await index.UpdateAsync();
        var build = clock.Elapsed;
        clock.Restart();
        var again = await index.UpdateAsync();
        var refresh = clock.Elapsed;
        Console.WriteLine($"Corpus {corpus}: {update.Indexed} files, {update.Passages} passages, {update.Skipped.Count} skipped; index built in {build.TotalSeconds:0.0} s, refresh with nothing changed {refresh.TotalMilliseconds:0} ms ({again.Unchanged} unchanged).");

        using var reranker = new MiniLmReranker();
        await reranker.RerankAsync("warm up", [new SearchHit("x", "x", 0, "x", "x")], 1);
        var bm25Hits = 0;
        var rerankHits = 0;
        var bm25Time = TimeSpan.Zero;
        var rerankTime = TimeSpan.Zero;
        foreach (var q in questions)
        {
            clock.Restart();
            var plain = await index.SearchAsync(q.question, 5);
            bm25Time += clock.Elapsed;
            clock.Restart();
            var reranked = await reranker.RerankAsync(q.question, await index.SearchAsync(q.question, 30), 5);
            rerankTime += clock.Elapsed;
            var plainOk = plain.Any(h => q.expected.Contains(Normalize(h.Source)));
            var rerankOk = reranked.Any(h => q.expected.Contains(Normalize(h.Source)));
            bm25Hits += plainOk ? 1 : 0;
            rerankHits += rerankOk ? 1 : 0;
            Console.WriteLine($"  {(plainOk ? "✓" : "✗")}{(rerankOk ? "✓" : "✗")} {q.question}  →  {Normalize(plain.FirstOrDefault()?.Source ?? "-")} | {Normalize(reranked.FirstOrDefault()?.Source ?? "-")}");
        }

        var n = questions.Count;
        Console.WriteLine($"recall@5 BM25: {bm25Hits}/{n} = {(double)bm25Hits / n:0.00}; BM25 + MiniLM rerank of top 30: {rerankHits}/{n} = {(double)rerankHits / n:0.00}");
        Console.WriteLine($"mean query time: BM25 {bm25Time.TotalMilliseconds / n:0.0} ms; with rerank {rerankTime.TotalMilliseconds / n:0.0} ms");

        await SandboxStartupAsync();
        Directory.Delete(indexDir, recursive: true);
        return 0;
    }

    /// <summary>The documentation ships each page twice: HTML and its reStructuredText source; both count as the page.</summary>
    private static string Normalize(string source) =>
        source.StartsWith("_sources/", StringComparison.Ordinal) && source.EndsWith(".rst.txt", StringComparison.Ordinal)
            ? source["_sources/".Length..^".rst.txt".Length] + ".html"
            : source;

    private static async Task SandboxStartupAsync()
    {
        const int Runs = 20;
        var limits = new SandboxLimits();
        foreach (ICodeSandbox sandbox in new ICodeSandbox[] { new JintSandbox(), new BubblewrapPythonSandbox() })
        {
            if (sandbox.Unavailable is { } why)
            {
                Console.WriteLine($"{sandbox.Language}: unavailable ({why})");
                continue;
            }

            var code = sandbox.Language == "python" ? "print(1)" : "console.log(1)";
            await sandbox.RunAsync(code, limits);
            var times = new List<double>();
            for (var i = 0; i < Runs; i++)
            {
                var clock = Stopwatch.StartNew();
                var result = await sandbox.RunAsync(code, limits);
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (!result.Succeeded)
                {
                    throw new InvalidOperationException($"{sandbox.Language} sandbox failed: {result.Stderr}");
                }
            }

            times.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sandbox.Language} sandbox start-up per run (print one value, {Runs} runs): median {times[Runs / 2]:0.0} ms, p90 {times[(int)(Runs * 0.9)]:0.0} ms"));
        }
    }
}
