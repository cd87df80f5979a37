using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plansmith.Agent.Offline;

/// <summary>A whole sentence or list item taken from a result, with where it came from.</summary>
internal sealed record OfflineSentence(string Text, string Source, string Title);

/// <summary>
/// The offline model's reading: step results cut into whole sentences and list items (never inside
/// a word or a Markdown construct, without table rows or code fences), and the few that best answer
/// a set of terms, chosen by a BM25-style score over sentences with near-duplicates dropped.
/// </summary>
internal static partial class OfflineSentences
{
    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>Words a question is made of rather than what it asks about.</summary>
    private static readonly HashSet<string> QuestionWords = new(StringComparer.Ordinal)
    {
        "does", "did", "can", "could", "would", "should", "will", "was", "were", "has", "have", "when", "where", "why", "who", "after", "before", "into", "than", "then", "not",
    };

    /// <summary>
    /// The sentences of a result. Search results (JSON, possibly cut short by the prompt's size
    /// limit) are read by their fields: each passage's text, source and title; anything else is prose.
    /// </summary>
    public static List<OfflineSentence> FromResult(string result)
    {
        var trimmed = result.Trim();
        if (trimmed.StartsWith('{'))
        {
            var passages = Passages(trimmed);
            if (passages is not null)
            {
                return [.. passages.SelectMany(p => Split(p.Text).Select(s => new OfflineSentence(s, p.Source, p.Title)))];
            }
        }

        return [.. Split(trimmed).Select(s => new OfflineSentence(s, string.Empty, string.Empty))];
    }

    /// <summary>Whether a result is JSON the offline model reads as data rather than prose (search results, a verdict).</summary>
    public static bool IsJson(string result) => result.TrimStart().StartsWith('{');

    /// <summary>
    /// The passages of a search result: from the parsed JSON when it is whole, otherwise from every
    /// complete result object before the cut. Null when the JSON holds no search results.
    /// </summary>
    private static List<(string Source, string Title, string Text)>? Passages(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return [.. results.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.Object).Select(r => (Get(r, "source") is { Length: > 0 } s ? s : Get(r, "url"), Get(r, "title"), Get(r, "text") is { Length: > 0 } t ? t : Get(r, "snippet")))];
        }
        catch (JsonException)
        {
            if (!json.Contains("\"results\"", StringComparison.Ordinal))
            {
                return null;
            }

            return [.. ResultObject().Matches(json).Select(m => (Decode(m.Groups["source"].Value), Decode(m.Groups["title"].Value), Decode(m.Groups["text"].Value)))];
        }
    }

    /// <summary>Whole sentences and list items of Markdown prose: code fences, tables, headings and cut-off pieces left out.</summary>
    public static List<string> Split(string text)
    {
        var sentences = new List<string>();
        var paragraph = new List<string>();
        var inFence = false;
        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal) || line.StartsWith("~~~", StringComparison.Ordinal))
            {
                inFence = !inFence;
                Flush(paragraph, sentences);
                continue;
            }

            if (inFence || line.StartsWith('|') || line.StartsWith('#') || line.StartsWith('>') || line.Length == 0 || TableRule().IsMatch(line))
            {
                Flush(paragraph, sentences);
                continue;
            }

            if (ListMarker().Match(line) is { Success: true } marker)
            {
                Flush(paragraph, sentences);
                line = line[marker.Length..];
            }

            paragraph.Add(line);
        }

        Flush(paragraph, sentences);
        return sentences;
    }

    private static void Flush(List<string> paragraph, List<string> sentences)
    {
        if (paragraph.Count == 0)
        {
            return;
        }

        var text = string.Join(' ', string.Join(' ', paragraph).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        paragraph.Clear();
        // A passage may start inside a sentence: its first piece is kept only when it starts like one.
        foreach (var piece in SentenceEnd().Split(text))
        {
            var sentence = piece.Trim();
            if (IsWhole(sentence))
            {
                sentences.Add(sentence);
            }
        }
    }

    /// <summary>
    /// A sentence that starts like one, ends with . ! ? (or a closing quote, bracket or emphasis after
    /// one), has no cut mark, no inline fence debris and balanced inline Markdown.
    /// </summary>
    internal static bool IsWhole(string sentence) =>
        sentence.Length >= 20
        && sentence.Split(' ').Length >= 4
        && WholeStart().IsMatch(sentence)
        && WholeEnd().IsMatch(sentence)
        && !sentence.Contains('…', StringComparison.Ordinal)
        && !sentence.Contains("```", StringComparison.Ordinal)
        && !sentence.Contains(" | ", StringComparison.Ordinal)
        && sentence.Count(c => c == '`') % 2 == 0
        && Regex.Count(sentence, @"\*\*") % 2 == 0
        && sentence.Count(c => c == '(') == sentence.Count(c => c == ')')
        && sentence.Count(c => c == '[') == sentence.Count(c => c == ']');

    /// <summary>
    /// The best of <paramref name="sentences"/> for <paramref name="terms"/>, at most <paramref name="count"/>,
    /// near-duplicates and the sentences in <paramref name="skip"/> left out. With <paramref name="required"/>,
    /// a sentence must contain one of those words (an item's name or its singular or plural); one that
    /// also names an item of <paramref name="others"/> ranks lower, so each item gets sentences about itself.
    /// </summary>
    public static List<OfflineSentence> Best(IReadOnlyList<OfflineSentence> sentences, IReadOnlyCollection<string> terms, int count, IReadOnlyCollection<string>? required = null, IEnumerable<OfflineSentence>? skip = null, IReadOnlyCollection<string>? others = null)
    {
        var skipped = (skip ?? []).Select(s => s.Text).ToHashSet(StringComparer.Ordinal);
        var otherStems = (others ?? []).Select(Stem).ToHashSet(StringComparer.Ordinal);
        var tokenized = sentences.Select(s => Tokens(s.Text)).ToList();
        var average = tokenized.Count == 0 ? 1 : Math.Max(1, tokenized.Average(t => t.Count));
        var queryStems = terms.Select(Stem).Where(t => t.Length > 1).Distinct(StringComparer.Ordinal).ToList();
        var requiredStems = required?.Select(Stem).ToHashSet(StringComparer.Ordinal);
        var chosen = new List<OfflineSentence>();
        var seen = new List<HashSet<string>>();
        var ranked = sentences.Select((s, i) => (Sentence: s, Tokens: tokenized[i], Score: Score(tokenized[i], tokenized, queryStems, average) * (tokenized[i].Any(otherStems.Contains) ? 0.5 : 1) * (Leads(tokenized[i], requiredStems) ? 1.5 : 1), Index: i))
            .Where(r => r.Score > 0 && !skipped.Contains(r.Sentence.Text) && (requiredStems is null || r.Tokens.Any(requiredStems.Contains)))
            .OrderByDescending(r => r.Score)
            .ThenBy(r => r.Index);
        foreach (var (sentence, tokens, _, _) in ranked)
        {
            var set = tokens.ToHashSet(StringComparer.Ordinal);
            if (seen.Any(s => Similarity(s, set) > 0.6))
            {
                continue;
            }

            seen.Add(set);
            chosen.Add(sentence);
            if (chosen.Count == count)
            {
                break;
            }
        }

        return chosen;
    }

    /// <summary>The content words of a text, for scoring: lower case, stop words left out.</summary>
    public static List<string> Terms(string text) =>
        [.. OfflineChatClient.Words(text).Select(w => w.Trim('.', '-', '_')).Where(w => w.Length > 2 && !OfflinePlanner.StopWords.Contains(w) && !QuestionWords.Contains(w))];

    /// <summary>A crude stem, so that "retries", "retry" and "retried" meet: plural and common endings off.</summary>
    internal static string Stem(string word)
    {
        var w = word.ToLowerInvariant();
        if (w.EndsWith("ies", StringComparison.Ordinal) && w.Length > 4)
        {
            return w[..^3] + "y";
        }

        if (w.EndsWith("ied", StringComparison.Ordinal) && w.Length > 4)
        {
            return w[..^3] + "y";
        }

        foreach (var ending in (string[])["ing", "es", "ed", "s"])
        {
            if (w.EndsWith(ending, StringComparison.Ordinal) && w.Length - ending.Length >= 4 && !w.EndsWith("ss", StringComparison.Ordinal))
            {
                return w[..^ending.Length];
            }
        }

        return w;
    }

    private static List<string> Tokens(string text) => [.. Terms(text).Select(Stem)];

    private static double Score(List<string> tokens, List<List<string>> all, List<string> query, double average)
    {
        var score = 0.0;
        foreach (var term in query)
        {
            var tf = tokens.Count(t => t == term);
            if (tf == 0)
            {
                continue;
            }

            var df = all.Count(t => t.Contains(term));
            var idf = Math.Log(1 + ((all.Count - df + 0.5) / (df + 0.5)));
            score += idf * tf * (K1 + 1) / (tf + (K1 * (1 - B + (B * tokens.Count / average))));
        }

        // Very long sentences read badly in a table; they are kept only when nothing shorter says it.
        return tokens.Count > 45 ? score / 2 : score;
    }

    /// <summary>Whether the sentence is about the item: its name among the first words, as in a definition.</summary>
    private static bool Leads(List<string> tokens, HashSet<string>? stems) =>
        stems is not null && tokens.Take(3).Any(stems.Contains);

    private static double Similarity(HashSet<string> a, HashSet<string> b) =>
        a.Count == 0 || b.Count == 0 ? 0 : (double)a.Intersect(b).Count() / Math.Min(a.Count, b.Count);

    private static string Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() ?? string.Empty : string.Empty;

    private static string Decode(string escaped)
    {
        try
        {
            return JsonSerializer.Deserialize<string>("\"" + escaped + "\"") ?? string.Empty;
        }
        catch (JsonException)
        {
            return string.Empty;
        }
    }

    [GeneratedRegex("""\{"source":"(?<source>(?:[^"\\]|\\.)*)","title":"(?<title>(?:[^"\\]|\\.)*)".*?"text":"(?<text>(?:[^"\\]|\\.)*)"\}""", RegexOptions.Singleline)]
    private static partial Regex ResultObject();

    [GeneratedRegex(@"(?<=[.!?][)""'*_`]*)\s+(?=[\p{Lu}\p{N}`*""(\[])")]
    private static partial Regex SentenceEnd();

    [GeneratedRegex(@"^[\p{Lu}\p{N}`*""(\[]")]
    private static partial Regex WholeStart();

    [GeneratedRegex(@"[.!?][)""'*_`]*$")]
    private static partial Regex WholeEnd();

    [GeneratedRegex(@"^([-*+]|\d+[.)])\s+")]
    private static partial Regex ListMarker();

    [GeneratedRegex(@"^:?-{3,}:?(\s*\|\s*:?-{3,}:?)*$")]
    private static partial Regex TableRule();
}
