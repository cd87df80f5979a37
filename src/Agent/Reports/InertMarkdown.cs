using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Plansmith.Agent.Reports;

/// <summary>
/// Untrusted Markdown (a model's answer) as inert HTML: raw HTML is shown as text, links lead
/// only to http(s), mailto or relative addresses, and images become links so that opening the
/// report loads nothing from the network.
/// </summary>
internal static class InertMarkdown
{
    /// <summary>Where a neutralised link points.</summary>
    public const string BlockedUrl = "#blocked-link";

    // No generic attributes ({onclick=…}), no auto-identifiers (ids that could clash with the page's own).
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseListExtras()
        .UseAutoLinks()
        .Build();

    /// <summary>The Markdown as an HTML fragment.</summary>
    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            link.IsImage = false;
            if (!IsSafeUrl(link.GetDynamicUrl?.Invoke() ?? link.Url))
            {
                link.GetDynamicUrl = null;
                link.Url = BlockedUrl;
            }
        }

        foreach (var link in document.Descendants<AutolinkInline>())
        {
            if (!link.IsEmail && !IsSafeUrl(link.Url))
            {
                link.Url = BlockedUrl;
            }
        }

        return document.ToHtml(Pipeline);
    }

    /// <summary>
    /// Whether a link may stay live: http, https, mailto, or relative (no scheme). Browsers ignore
    /// whitespace and control characters inside a scheme (<c>java\tscript:</c>), so those are
    /// removed before the scheme is read; a protocol-relative address (<c>//host</c>) is refused.
    /// </summary>
    public static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return true;
        }

        var cleaned = string.Concat(url.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)));
        if (cleaned.StartsWith("//", StringComparison.Ordinal) || cleaned.StartsWith('\\') || cleaned.StartsWith("/\\", StringComparison.Ordinal))
        {
            return false;
        }

        var colon = cleaned.IndexOf(':', StringComparison.Ordinal);
        var pathStart = cleaned.IndexOfAny(['/', '?', '#']);
        if (colon < 0 || (pathStart >= 0 && pathStart < colon))
        {
            return true;
        }

        var scheme = cleaned[..colon];
        return scheme.Equals("http", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("https", StringComparison.OrdinalIgnoreCase)
            || scheme.Equals("mailto", StringComparison.OrdinalIgnoreCase);
    }
}
