using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Plansmith.Agent.Offline;

/// <summary>The offline model's writing: answers arranged from step results, comparisons, and analysis programs.</summary>
internal static partial class OfflineWriter
{
    /// <summary>
    /// The answer to <paramref name="goal"/> from the step results. A run that ended partial is
    /// said in the offline model's own words: the answer prompt's note (an instruction to a model)
    /// never reaches the answer.
    /// </summary>
    public static string Answer(string goal, string results, Planning.AnswerPartiality partial = Planning.AnswerPartiality.None, string? reason = null)
    {
        var stopped = partial == Planning.AnswerPartiality.Stopped;
        var failed = partial == Planning.AnswerPartiality.StepsFailed;
        var sections = Sections(results);
        var text = new StringBuilder();
        text.Append("# ").Append(goal).Append("\n\n");
        var why = reason is { Length: > 0 } ? " " + char.ToUpperInvariant(reason[0]) + Short(reason[1..], 300).TrimEnd('.') + "." : string.Empty;
        if (stopped)
        {
            text.Append("**This answer is incomplete:** the run stopped before its plan finished.").Append(why).Append(" What follows rests only on the steps that did finish.\n\n");
        }
        else if (failed)
        {
            text.Append("**This answer is partial:** some steps failed.").Append(why).Append(" What follows covers only what the other steps found.\n\n");
        }

        text.Append("*Arranged by Plansmith's offline model from the step results below: it quotes and orders them; it does not understand them.*\n\n");
        var (items, _) = OfflinePlanner.Items(goal);
        // Quote search findings, not what earlier model steps wrote about them.
        var digests = sections.Select(s => Digest(s.Body)).ToList();
        var found = digests.Where(d => d.StartsWith("- ", StringComparison.Ordinal)).ToList();
        var all = string.Join("\n", found.Count > 0 ? found : digests);
        if (items.Count >= 2)
        {
            text.Append("| Item | What the results say |\n|---|---|\n");
            foreach (var item in items)
            {
                var said = Sentence(all, item) ?? (item.EndsWith('s') && item.Length > 3 ? Sentence(all, item[..^1]) : null);
                text.Append("| ").Append(item).Append(" | ").Append(Cell(said ?? "not covered by the results")).Append(" |\n");
            }

            text.Append('\n');
        }

        text.Append("## Findings\n\n");
        foreach (var section in sections)
        {
            text.Append("- **").Append(section.Heading).Append("** ").Append(Short(OneLine(Digest(section.Body)), 400)).Append('\n');
        }

        var sources = SourcePattern().Matches(results).Select(m => m.Groups[1].Value).Distinct().ToList();
        if (sources.Count > 0)
        {
            text.Append("\n## Sources\n\n");
            foreach (var source in sources)
            {
                text.Append("- ").Append(source).Append('\n');
            }
        }

        return text.ToString().TrimEnd();
    }

    public static string Compare(string criteriaText, string itemsText)
    {
        var criteria = criteriaText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var items = itemsText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var text = new StringBuilder("| Item | ").Append(string.Join(" | ", criteria)).Append(" |\n|---|").Append(string.Concat(criteria.Select(_ => "---|"))).Append('\n');
        foreach (var item in items)
        {
            var name = item.Split(':')[0].Trim('-', ' ', '*');
            text.Append("| ").Append(Cell(name)).Append(" | ").Append(string.Join(" | ", criteria.Select(c => Cell(Sentence(item, c) ?? "unknown")))).Append(" |\n");
        }

        return text.Append("\nArranged by the offline model from the descriptions given.").ToString();
    }

    public static string AnalysisProgram(string language) => language.Trim().Equals("python", StringComparison.OrdinalIgnoreCase)
        ? """
          ```python
          import re
          numbers = [float(x) for x in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", DATA)]
          summary = f"{len(DATA.splitlines())} lines, {len(DATA.split())} words, {len(numbers)} numbers"
          if numbers:
              summary += f"; sum {sum(numbers):g}, mean {sum(numbers) / len(numbers):g}, min {min(numbers):g}, max {max(numbers):g}"
          print(summary)
          ```
          """
        : """
          ```javascript
          const numbers = (DATA.match(/(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])/g) || []).map(Number);
          let summary = `${DATA.split("\n").length} lines, ${DATA.split(/\s+/).filter(w => w).length} words, ${numbers.length} numbers`;
          if (numbers.length) {
            const sum = numbers.reduce((a, b) => a + b, 0);
            summary += `; sum ${sum}, mean ${sum / numbers.length}, min ${Math.min(...numbers)}, max ${Math.max(...numbers)}`;
          }
          console.log(summary);
          ```
          """;

    /// <summary>A short account of a result: search results as "title: snippet (source)" lines, anything else cut short.</summary>
    public static string Digest(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                if (document.RootElement.TryGetProperty("results", out var results) && results.ValueKind == JsonValueKind.Array)
                {
                    var lines = results.EnumerateArray().Take(5).Select(r =>
                        $"- {Get(r, "title")}: {Get(r, "snippet")} ({Get(r, "source")})").ToList();
                    return lines.Count == 0 ? "- nothing found" : string.Join("\n", lines);
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: shown as text.
            }
        }

        return Short(trimmed, 600);
    }

    /// <summary>
    /// A short account of earlier steps' results ("### id: description" sections): each section's
    /// digest, without the headings, so that a step's output never looks like a step of its own.
    /// </summary>
    public static string DigestResults(string results)
    {
        var sections = Sections(results);
        return sections.Count == 0
            ? Digest(results)
            : string.Join("\n", sections.Select(s => Digest(s.Body)));
    }

    private static List<(string Heading, string Body)> Sections(string results)
    {
        var sections = new List<(string, string)>();
        var matches = Regex.Matches(results, @"^### (.+)$", RegexOptions.Multiline);
        for (var i = 0; i < matches.Count; i++)
        {
            var start = matches[i].Index + matches[i].Length;
            var end = i + 1 < matches.Count ? matches[i + 1].Index : results.Length;
            sections.Add((matches[i].Groups[1].Value.Trim(), results[start..end].Trim()));
        }

        return sections;
    }

    /// <summary>The first sentence of <paramref name="text"/> that mentions <paramref name="word"/>.</summary>
    private static string? Sentence(string text, string word)
    {
        foreach (var sentence in Regex.Split(text.Replace("\\n", " ", StringComparison.Ordinal), @"(?<=[.!?])\s+|\n+"))
        {
            if (sentence.Contains(word, StringComparison.OrdinalIgnoreCase) && sentence.Length > word.Length + 10)
            {
                return Short(OneLine(sentence.Trim(' ', '-', '*')), 220);
            }
        }

        return null;
    }

    private static string Get(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ToString() : string.Empty;

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static string Short(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    [GeneratedRegex("\"source\":\\s*\"([^\"]+)\"")]
    private static partial Regex SourcePattern();
}
