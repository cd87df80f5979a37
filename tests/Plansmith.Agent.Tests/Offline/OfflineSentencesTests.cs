using Plansmith.Agent.Offline;

namespace Plansmith.Agent.Tests.Offline;

public sealed class OfflineSentencesTests
{
    [Fact]
    public void Split_MarkdownWithTableFenceAndList_ReturnsWholeSentencesAndItemsOnly()
    {
        const string Text = "# Title\n\nA retry runs a step again. It waits a moment first!\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode here.\n```\n\n- Retries apply to timeouts only.\n- A plan fault is never retried.";

        var sentences = OfflineSentences.Split(Text);

        Assert.Equal(["A retry runs a step again.", "It waits a moment first!", "Retries apply to timeouts only.", "A plan fault is never retried."], sentences);
    }

    [Fact]
    public void Split_PassageCutAtBothEnds_DropsTheCutPieces()
    {
        var sentences = OfflineSentences.Split("ning at once, so it waits. The fallback runs once after the retries. Then the RetryMaxDela…");

        Assert.Equal(["The fallback runs once after the retries."], sentences);
    }

    [Fact]
    public void FromResult_SearchJsonCutShort_ReadsTheCompletePassagesWithSourceAndTitle()
    {
        const string Json = """{"query":"x","results":[{"source":"a.md","title":"A \u2014 B","score":1.5,"snippet":"s","text":"Retries wait between attempts. They stop after five."},{"source":"b.md","title":"C","score":1,"snippet":"t","text":"Fallbacks ru""";

        var sentences = OfflineSentences.FromResult(Json);

        Assert.Equal(2, sentences.Count);
        Assert.All(sentences, s => Assert.Equal(("a.md", "A — B"), (s.Source, s.Title)));
    }

    [Fact]
    public void Best_ItemRequired_ChoosesSentencesNamingTheItemAndDropsNearDuplicates()
    {
        List<OfflineSentence> sentences =
        [
            new("The timeout bounds one attempt of the step.", "a.md", "A"),
            new("A retry runs the step again after a wait.", "a.md", "A"),
            new("A retry runs the step again after a short wait.", "b.md", "B"),
            new("Retries stop after five attempts.", "a.md", "A"),
        ];

        var best = OfflineSentences.Best(sentences, ["retries"], 3, ["retries"]);

        Assert.Equal(2, best.Count);
        Assert.All(best, s => Assert.Contains("etr", s.Text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("retries", "retry")]
    [InlineData("retried", "retry")]
    [InlineData("fallbacks", "fallback")]
    [InlineData("class", "class")]
    public void Stem_PluralOrPastForm_MeetsTheSingular(string word, string stem) =>
        Assert.Equal(stem, OfflineSentences.Stem(word));
}
