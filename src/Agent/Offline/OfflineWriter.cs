using System.Text;
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

        text.Append("*Arranged by Plansmith's offline model from the step results: it chooses and orders whole sentences from them; it does not understand them.*\n\n");
        var sentences = Evidence(sections, results);
        var (items, topic) = OfflinePlanner.Items(goal);
        var used = new List<OfflineSentence>();
        if (items.Count >= 2)
        {
            WriteComparison(text, items, topic, sentences, used);
        }
        else
        {
            // The lead sentence of the best-matching result section opens the answer (search has
            // already judged that section the most relevant); the best-scoring sentences follow.
            var terms = OfflineSentences.Terms(goal);
            var stems = terms.Select(OfflineSentences.Stem).ToHashSet(StringComparer.Ordinal);
            var at = sentences.FindIndex(s => OfflineSentences.Terms(s.Title).Select(OfflineSentences.Stem).Any(stems.Contains));
            var lead = at < 0 ? [] : sentences.Skip(at).Take(2).Where(s => s.Source == sentences[at].Source && s.Title == sentences[at].Title).ToList();

            // A short lead (a bold label such as "**One jail for both languages.**") brings the sentence after it.
            lead = lead.Count == 2 && lead[0].Text.Length >= 80 ? [lead[0]] : lead;
            var best = OfflineSentences.Best(sentences, terms, Math.Max(1, 4 - lead.Count), skip: lead);
            best.InsertRange(0, lead);

            used.AddRange(best);
            text.Append(best.Count == 0
                ? "The results do not say anything that answers this."
                : string.Join(' ', best.Select(s => s.Text))).Append('\n');
        }

        var missing = sections.Where(s => s.Body.StartsWith("No result", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            text.Append("\n## Steps without results\n\n");
            foreach (var (heading, body) in missing)
            {
                text.Append("- ").Append(heading).Append(": ").Append(Short(OneLine(body), 300)).Append('\n');
            }
        }

        WriteSources(text, used.Count > 0 ? used : sentences);
        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// A table with the one or two sentences that best say what each item is, then a few more
    /// findings per item; an item the results do not mention is said once, in the table.
    /// </summary>
    private static void WriteComparison(StringBuilder text, List<string> items, string topic, List<OfflineSentence> sentences, List<OfflineSentence> used)
    {
        var topicTerms = OfflineSentences.Terms(topic);
        var chosen = new List<(string Item, List<OfflineSentence> Lead, List<OfflineSentence> More)>();
        foreach (var item in items)
        {
            var names = OfflineSentences.Terms(item);
            var terms = names.Concat(names).Concat(topicTerms).ToList();
            var others = items.Where(i => i != item).SelectMany(OfflineSentences.Terms).ToList();
            var best = OfflineSentences.Best(sentences, terms, 5, names.Count > 0 ? names : null, used, others);
            var lead = best.Take(best.Count > 1 && best[0].Text.Length + best[1].Text.Length <= 320 ? 2 : 1).ToList();
            var rest = best.Skip(lead.Count).Take(3).ToList();
            chosen.Add((item, lead, rest));
            used.AddRange(lead.Concat(rest));
        }

        text.Append("| Item | What the results say").Append(topic.Length > 0 ? " about " + Cell(topic) : string.Empty).Append(" |\n|---|---|\n");
        foreach (var (item, lead, _) in chosen)
        {
            text.Append("| ").Append(Cell(item)).Append(" | ").Append(lead.Count == 0 ? "Not covered by the results." : Cell(string.Join(' ', lead.Select(s => s.Text)))).Append(" |\n");
        }

        var more = chosen.Where(c => c.More.Count > 0).ToList();
        if (more.Count > 0)
        {
            text.Append("\n## Findings\n");
            foreach (var (item, _, findings) in more)
            {
                text.Append("\n**").Append(item).Append("**\n\n");
                foreach (var finding in findings)
                {
                    text.Append("- ").Append(finding.Text).Append('\n');
                }
            }
        }
    }

    private static void WriteSources(StringBuilder text, List<OfflineSentence> sentences)
    {
        var sources = sentences.Where(s => s.Source.Length > 0).Select(s => (s.Source, s.Title)).Distinct().ToList();
        if (sources.Count == 0)
        {
            return;
        }

        text.Append("\n## Sources\n\n");
        foreach (var (source, title) in sources)
        {
            text.Append("- ").Append(source).Append(title.Length > 0 ? " — " + OneLine(title) : string.Empty).Append('\n');
        }
    }

    /// <summary>
    /// The sentences the answer may quote: from the tool results (search passages) when there are
    /// any, so that what an earlier model step wrote about them is never quoted back; otherwise
    /// from every step's prose, without the line that repeats the step.
    /// </summary>
    private static List<OfflineSentence> Evidence(List<(string Heading, string Body)> sections, string results)
    {
        var bodies = sections.Count > 0 ? sections.Select(s => s.Body).ToList() : [results];
        var fromData = bodies.Where(OfflineSentences.IsJson).SelectMany(OfflineSentences.FromResult).ToList();
        if (fromData.Count > 0)
        {
            return fromData;
        }

        return [.. bodies.Where(b => !OfflineSentences.IsJson(b)).SelectMany(b => OfflineSentences.FromResult(WithoutStepLine(b)))];
    }

    private static string WithoutStepLine(string body)
    {
        var newline = body.IndexOf('\n', StringComparison.Ordinal);
        return newline > 0 && body[..newline].TrimEnd().EndsWith(':') ? body[(newline + 1)..] : body;
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

    /// <summary>A short account of a result: its first whole sentences ("sentence (source — title)" for search results), never cut inside one.</summary>
    public static string Digest(string text)
    {
        var sentences = OfflineSentences.FromResult(text);
        if (sentences.Count == 0)
        {
            return OfflineSentences.IsJson(text) ? "- nothing found" : Short(OneLine(text), 600);
        }

        var lines = sentences
            .GroupBy(s => (s.Source, s.Title))
            .Take(5)
            .SelectMany(g => g.Take(2))
            .Select(s => "- " + s.Text + (s.Source.Length > 0 ? $" ({s.Source}{(s.Title.Length > 0 ? " — " + OneLine(s.Title) : string.Empty)})" : string.Empty));
        return string.Join("\n", lines);
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

    /// <summary>The first whole sentence of <paramref name="text"/> that mentions <paramref name="word"/>.</summary>
    private static string? Sentence(string text, string word) =>
        OfflineSentences.Split(text.Replace("\\n", "\n", StringComparison.Ordinal))
            .FirstOrDefault(s => s.Contains(word, StringComparison.OrdinalIgnoreCase) && s.Length > word.Length + 10);

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static string OneLine(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>At most about <paramref name="max"/> characters, cut between words.</summary>
    private static string Short(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var cut = text.LastIndexOf(' ', max);
        return text[..(cut > max / 2 ? cut : max)].TrimEnd(',', ';', ':') + " …";
    }
}
