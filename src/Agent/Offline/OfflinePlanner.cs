using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plansmith.Agent.Offline;

/// <summary>The offline model's plans: search each item the goal names, analyse the findings, check that every item is covered.</summary>
internal static partial class OfflinePlanner
{
    internal static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "a", "an", "of", "and", "or", "to", "in", "on", "for", "with", "by", "at", "from", "is", "are", "what", "how", "which", "about", "their", "its", "this", "that",
    };

    private static readonly string[] LeadWords = ["compare", "contrast", "research", "summarize", "summarise", "explain", "evaluate", "analyze", "analyse", "find", "describe", "between", "the", "differences", "difference", "in", "of"];

    private static readonly string[] AnalysisStep = ["a1"];

    private sealed record Tool(string Name, string Description, IReadOnlyList<string> Required);

    public static string Create(string goal, string toolsText, bool retry)
    {
        // A long goal (pasted from a file) is planned from its first sentence: descriptions stay short.
        goal = Brief(goal);
        var tools = ParseTools(toolsText);
        var (items, topic) = Items(goal);
        var search = tools.FirstOrDefault(t => t.Name.EndsWith(".search", StringComparison.Ordinal) && t.Required.SequenceEqual(["query"]))
                     ?? tools.FirstOrDefault(t => t.Name.EndsWith(".web_search", StringComparison.Ordinal) && t.Required.SequenceEqual(["query"]));
        var steps = new List<object>();
        if (retry)
        {
            steps.Add(new { id = "s1", description = goal, dependencies = Array.Empty<string>(), kind = "action" });
            return JsonSerializer.Serialize(new { steps });
        }

        var subjects = items.Count >= 2 ? items : [goal];
        var searchIds = new List<string>();
        for (var i = 0; i < subjects.Count; i++)
        {
            var id = $"s{i + 1}";
            var query = items.Count >= 2 ? $"{subjects[i]} {topic}".Trim() : goal;
            searchIds.Add(id);
            steps.Add(search is null
                ? new { id, description = $"Find out about {query}", dependencies = Array.Empty<string>(), kind = "action" }
                : (object)new { id, description = $"Search for {query}", dependencies = Array.Empty<string>(), kind = "action", tool = search.Name, arguments = new Dictionary<string, object> { ["query"] = query } });
        }

        var what = items.Count < 2 ? goal : topic.Length > 0 ? $"{topic} for {Join(items)}" : Join(items);
        steps.Add(new { id = "a1", description = $"Summarize the findings on {what}", dependencies = searchIds, kind = "action" });
        if (items.Count >= 2)
        {
            steps.Add(new { id = "v1", description = $"The findings cover every one of: {Join(items)}", dependencies = AnalysisStep, kind = "verify" });
        }

        return JsonSerializer.Serialize(new { steps });
    }

    /// <summary>The goal's first sentence, at most 300 characters, cut at a word.</summary>
    internal static string Brief(string goal)
    {
        const int Most = 300;
        goal = goal.Trim();
        var end = Regex.Match(goal, @"[.!?](\s|$)");
        if (end.Success && end.Index + 1 <= Most)
        {
            return goal[..(end.Index + 1)].TrimEnd('.');
        }

        if (goal.Length <= Most)
        {
            return goal;
        }

        var cut = goal.LastIndexOf(' ', Most);
        return goal[..(cut > Most / 2 ? cut : Most)] + "…";
    }

    public static string Revise(string goal, string plan, string completedSteps)
    {
        var completed = Regex.Matches(completedSteps, @"^### ([A-Za-z0-9_-]+):", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).Distinct().ToArray();
        var used = Regex.Matches(plan, "\"id\":\\s*\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToHashSet();
        var id = Enumerable.Range(1, 99).Select(i => $"r{i}").First(c => !used.Contains(c));
        goal = Brief(goal);
        return JsonSerializer.Serialize(new { steps = new[] { new { id, description = $"Finish from the results there are: {goal}", dependencies = completed, kind = "action" } } });
    }

    /// <summary>The items a goal names ("Compare Flask and FastAPI routing" → Flask, FastAPI; topic "routing").</summary>
    internal static (List<string> Items, string Topic) Items(string goal)
    {
        var text = goal.Trim().TrimEnd('.', '?', '!');
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        while (words.Count > 0 && LeadWords.Contains(words[0].ToLowerInvariant()))
        {
            words.RemoveAt(0);
        }

        // "the findings on retries and fallbacks" names retries and fallbacks, not "findings on retries".
        var joined = string.Join(' ', words);
        var named = MaterialLead().Replace(joined, string.Empty);
        if (named.Length != joined.Length && TopicFor().Match(named) is { Success: true } topicFor)
        {
            // The plan's own summary step: "the findings on routing for Flask and FastAPI".
            var listed = Separators().Split(topicFor.Groups["items"].Value).Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
            if (listed.Count >= 2)
            {
                return (listed.Take(6).ToList(), topicFor.Groups["topic"].Value);
            }
        }

        var parts = Separators().Split(named).Select(p => p.Trim()).Where(p => p.Length > 0).ToList();
        if (parts.Count < 2)
        {
            return ([], string.Empty);
        }

        // The topic trails the last item: "FastAPI routing" → item "FastAPI", topic "routing".
        var lastWords = parts[^1].Split(' ');
        var itemWords = parts[0].Split(' ').Length;
        var topic = string.Empty;
        if (lastWords.Length > itemWords)
        {
            topic = string.Join(' ', lastWords[itemWords..]);
            parts[^1] = string.Join(' ', lastWords[..itemWords]);
        }

        return (parts.Take(6).ToList(), topic);
    }

    private static List<Tool> ParseTools(string text)
    {
        var tools = new List<Tool>();
        foreach (var line in text.Split('\n'))
        {
            var match = ToolLine().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var required = Regex.Matches(match.Groups["rest"].Value, @"(\w+) \([^,]+, required").Select(m => m.Groups[1].Value).ToList();
            tools.Add(new Tool(match.Groups["name"].Value, match.Groups["rest"].Value, required));
        }

        return tools;
    }

    private static string Join(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items[..^1]) + " and " + items[^1];

    [GeneratedRegex(@"\s*,\s*(?:and\s+)?|\s+and\s+|\s+vs\.?\s+|\s+versus\s+|\s+or\s+", RegexOptions.IgnoreCase)]
    private static partial Regex Separators();

    [GeneratedRegex(@"^(?:the\s+)?(?:findings|results|facts|notes|information|details|sources|evidence)\s+(?:on|about|for|of|regarding|from)\s+(?:the\s+)?", RegexOptions.IgnoreCase)]
    private static partial Regex MaterialLead();

    [GeneratedRegex(@"^(?<topic>\S+(?:\s\S+){0,3}?)\s+for\s+(?<items>.+)$")]
    private static partial Regex TopicFor();

    [GeneratedRegex(@"^- (?<name>[A-Za-z0-9_]+\.[A-Za-z0-9_]+) — (?<rest>.*)$")]
    private static partial Regex ToolLine();
}
