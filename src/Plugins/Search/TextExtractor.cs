using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Plansmith.Plugins.Search;

/// <summary>
/// Turns a corpus file into titled blocks of text: HTML with navigation, scripts and page chrome
/// stripped; Markdown and plain text by paragraphs under their headings; source files in chunks
/// of lines.
/// </summary>
internal static class TextExtractor
{
    private static readonly HashSet<string> HtmlExtensions = new(StringComparer.OrdinalIgnoreCase) { ".html", ".htm", ".xhtml" };
    private static readonly HashSet<string> MarkdownExtensions = new(StringComparer.OrdinalIgnoreCase) { ".md", ".markdown", ".rst", ".txt" };

    private static readonly string[] Chrome =
    [
        "script", "style", "nav", "header", "footer", "aside", "form", "noscript", "iframe", "svg", "template",
        "[role=navigation]", "[role=banner]", "[role=contentinfo]", "[aria-hidden=true]",
        ".sphinxsidebar", ".related", ".footer", ".navigation", ".breadcrumb", ".breadcrumbs", ".headerlink", ".sidebar", ".toc", ".menu", ".skip-link",
    ];

    private static readonly HashSet<string> BlockTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "li", "pre", "dt", "dd", "tr", "td", "th", "table", "section", "article", "main", "blockquote", "br", "ul", "ol", "dl", "figure", "figcaption",
        "h1", "h2", "h3", "h4", "h5", "h6",
    };

    public static CorpusDocument Extract(string relativePath, string text)
    {
        var extension = Path.GetExtension(relativePath);
        var fallbackTitle = Path.GetFileNameWithoutExtension(relativePath);
        if (HtmlExtensions.Contains(extension))
        {
            return FromHtml(text, fallbackTitle);
        }

        return MarkdownExtensions.Contains(extension) ? FromMarkdown(text, fallbackTitle) : FromSource(text, Path.GetFileName(relativePath));
    }

    private static CorpusDocument FromHtml(string html, string fallbackTitle)
    {
        var document = new HtmlParser().ParseDocument(html);
        foreach (var element in document.QuerySelectorAll(string.Join(',', Chrome)).ToList())
        {
            element.Remove();
        }

        var title = Clean(document.QuerySelector("h1")?.TextContent ?? document.Title ?? string.Empty);
        if (title.Length == 0)
        {
            title = Clean(document.Title ?? string.Empty);
        }

        if (title.Length == 0)
        {
            title = fallbackTitle;
        }

        var blocks = new List<TextBlock>();
        var walker = new HtmlWalker(title, blocks);
        walker.Walk(document.Body ?? document.DocumentElement);
        walker.Flush();
        return new CorpusDocument(title, blocks);
    }

    private static CorpusDocument FromMarkdown(string text, string fallbackTitle)
    {
        var blocks = new List<TextBlock>();
        string? title = null;
        var section = string.Empty;
        var paragraph = new StringBuilder();
        var inFence = false;
        void Flush()
        {
            var block = paragraph.ToString().Trim();
            if (block.Length > 0)
            {
                blocks.Add(new TextBlock(section, block));
            }

            paragraph.Clear();
        }

        foreach (var raw in text.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inFence = !inFence;
                paragraph.AppendLine(line);
                continue;
            }

            if (!inFence && line.StartsWith('#'))
            {
                Flush();
                var heading = line.TrimStart('#').Trim();
                title ??= heading;
                section = heading;
                continue;
            }

            if (!inFence && line.Length == 0)
            {
                Flush();
                continue;
            }

            paragraph.AppendLine(line);
        }

        Flush();
        title ??= fallbackTitle;
        return new CorpusDocument(title, blocks);
    }

    private static CorpusDocument FromSource(string text, string fileName)
    {
        const int LinesPerBlock = 30;
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var blocks = new List<TextBlock>();
        for (var i = 0; i < lines.Length; i += LinesPerBlock)
        {
            var block = string.Join('\n', lines.Skip(i).Take(LinesPerBlock)).Trim();
            if (block.Length > 0)
            {
                blocks.Add(new TextBlock($"lines {i + 1}–{Math.Min(lines.Length, i + LinesPerBlock)}", block));
            }
        }

        return new CorpusDocument(fileName, blocks);
    }

    private static string Clean(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Trim('¶', ' ');

    private sealed class HtmlWalker(string title, List<TextBlock> blocks)
    {
        private readonly StringBuilder _text = new();
        private string _section = title;
        private bool _pre;

        public void Walk(INode? node)
        {
            if (node is null)
            {
                return;
            }

            foreach (var child in node.ChildNodes)
            {
                if (child is IText text)
                {
                    _text.Append(_pre ? text.Data : CollapseSpaces(text.Data));
                    continue;
                }

                if (child is not IElement element)
                {
                    continue;
                }

                var tag = element.LocalName;
                var isBlock = BlockTags.Contains(tag);
                if (isBlock)
                {
                    Flush();
                }

                if (tag is "h1" or "h2" or "h3")
                {
                    var heading = Clean(element.TextContent);
                    if (heading.Length > 0)
                    {
                        _section = heading;
                    }

                    continue;
                }

                var wasPre = _pre;
                _pre |= tag == "pre";
                Walk(element);
                _pre = wasPre;
                if (isBlock)
                {
                    Flush();
                }
                else if (tag is "td" or "th")
                {
                    _text.Append(' ');
                }
            }
        }

        public void Flush()
        {
            var block = _pre ? _text.ToString().Trim('\n') : Clean(_text.ToString());
            if (block.Trim().Length > 0)
            {
                blocks.Add(new TextBlock(_section, block));
            }

            _text.Clear();
        }

        private static string CollapseSpaces(string text)
        {
            var builder = new StringBuilder(text.Length);
            var space = false;
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c))
                {
                    space = true;
                    continue;
                }

                if (space && builder.Length > 0)
                {
                    builder.Append(' ');
                }
                else if (space)
                {
                    builder.Append(' ');
                }

                space = false;
                builder.Append(c);
            }

            if (space)
            {
                builder.Append(' ');
            }

            return builder.ToString();
        }
    }
}
