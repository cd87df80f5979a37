namespace Plansmith.Plugins.Search;

/// <summary>A file's text as blocks (paragraphs, list items, code) under the heading they belong to.</summary>
internal sealed record CorpusDocument(string Title, IReadOnlyList<TextBlock> Blocks);

/// <summary>One block of text and the section heading above it.</summary>
internal sealed record TextBlock(string Section, string Text);

/// <summary>A passage: the unit that is indexed and returned.</summary>
internal sealed record Passage(string Title, string Text);
