using System.Text;

namespace Plansmith.Plugins.Search;

/// <summary>Groups a document's blocks into passages of a few hundred characters, never across sections.</summary>
internal static class Passages
{
    public static List<Passage> Split(CorpusDocument document, int targetChars, int maxChars)
    {
        var passages = new List<Passage>();
        var text = new StringBuilder();
        string? section = null;
        void Emit()
        {
            if (text.Length == 0)
            {
                return;
            }

            var title = string.IsNullOrEmpty(section) || section == document.Title ? document.Title : $"{document.Title} — {section}";
            passages.Add(new Passage(title, text.ToString().Trim()));
            text.Clear();
        }

        foreach (var block in document.Blocks)
        {
            if (section is not null && block.Section != section)
            {
                Emit();
            }

            section = block.Section;
            foreach (var piece in Pieces(block.Text, maxChars))
            {
                if (text.Length > 0 && text.Length + piece.Length > maxChars)
                {
                    Emit();
                }

                text.Append(piece).Append('\n');
                if (text.Length >= targetChars)
                {
                    Emit();
                }
            }
        }

        Emit();
        return passages;
    }

    /// <summary>A block longer than a passage is cut at sentence or line ends where it can be.</summary>
    private static IEnumerable<string> Pieces(string text, int maxChars)
    {
        var start = 0;
        while (text.Length - start > maxChars)
        {
            var window = text.AsSpan(start, maxChars);
            var cut = Math.Max(window.LastIndexOf(". "), window.LastIndexOf('\n'));
            var length = cut > maxChars / 3 ? cut + 1 : maxChars;
            yield return text.Substring(start, length);
            start += length;
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }
}
