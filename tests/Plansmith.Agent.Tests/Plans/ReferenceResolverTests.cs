using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.Plans;

public sealed class ReferenceResolverTests
{
    private static readonly Dictionary<string, string> Outputs = new()
    {
        ["s1"] = """{"items": [{"title": "Flask", "stars": 67000}, {"title": "Django"}], "total": 2, "meta": {"source": "web"}}""",
        ["s2"] = "plain text output",
        ["s3"] = "42",
    };

    private static JsonElement Str(string text) => JsonSerializer.SerializeToElement(text);

    [Fact]
    public void Resolve_WholeOutput_IsTheOutputText()
    {
        var value = ReferenceResolver.Resolve(Str("${s2}"), Outputs);

        Assert.Equal("plain text output", value.GetString());
    }

    [Fact]
    public void Resolve_PathIntoJson_KeepsTheJsonType()
    {
        Assert.Equal(67000, ReferenceResolver.Resolve(Str("${s1.items[0].stars}"), Outputs).GetInt32());
        Assert.Equal("Django", ReferenceResolver.Resolve(Str("${s1.items[1].title}"), Outputs).GetString());
        Assert.Equal(JsonValueKind.Object, ReferenceResolver.Resolve(Str("${s1.meta}"), Outputs).ValueKind);
    }

    [Fact]
    public void Resolve_ReferencesInsideText_AreSplicedAsText()
    {
        var value = ReferenceResolver.Resolve(Str("Compare ${s1.items[0].title} (${s1.items[0].stars}★) with ${s2}; meta ${s1.meta}"), Outputs);

        Assert.Equal("""Compare Flask (67000★) with plain text output; meta {"source": "web"}""", value.GetString());
    }

    [Fact]
    public void Resolve_NestedArraysAndObjects_AreResolved()
    {
        var value = ReferenceResolver.Resolve(JsonDocument.Parse("""{"list": ["${s3}", 1, {"t": "${s1.total}"}]}""").RootElement, Outputs);

        Assert.Equal("""{"list":["42",1,{"t":2}]}""", value.GetRawText());
    }

    [Fact]
    public void Resolve_EscapedDollar_IsLiteral()
    {
        Assert.Equal("cost ${s1}", ReferenceResolver.Resolve(Str("cost $${s1}"), Outputs).GetString());
    }

    [Fact]
    public void Resolve_NonStringValues_PassThrough()
    {
        var value = JsonDocument.Parse("17").RootElement;

        Assert.Equal(17, ReferenceResolver.Resolve(value, Outputs).GetInt32());
    }

    [Fact]
    public void Resolve_CaseInsensitiveFieldMatch_Works()
    {
        Assert.Equal("Flask", ReferenceResolver.Resolve(Str("${s1.Items[0].Title}"), Outputs).GetString());
    }

    [Fact]
    public void Resolve_MissingField_NamesThePathAndShape()
    {
        var ex = Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${s1.items[0].url}"), Outputs));

        Assert.Contains("s1.items[0] has no field 'url'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("{title: string, stars: number}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("items: array[2] of {title: string, stars: number}", ex.Message, StringComparison.Ordinal);
        Assert.Equal("s1", ex.Reference!.StepId);
    }

    [Fact]
    public void Resolve_IndexOutOfRange_SaysHowManyItemsThereAre()
    {
        var ex = Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${s1.items[5]}"), Outputs));

        Assert.Contains("s1.items has no index [5]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("array[2]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_PathIntoPlainText_SaysTheOutputIsNotJson()
    {
        var ex = Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${s2.title}"), Outputs));

        Assert.Contains("plain text, not JSON", ex.Message, StringComparison.Ordinal);
        Assert.Contains("${s2}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_StepWithoutOutput_IsAnError()
    {
        var ex = Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("x ${s9} y"), Outputs));

        Assert.Contains("'s9'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dependency", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_MalformedReference_IsAnError()
    {
        Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${s1.items[}"), Outputs));
        Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${ s1}"), Outputs));
        Assert.Throws<ReferenceResolutionException>(() => ReferenceResolver.Resolve(Str("${s1"), Outputs));
    }

    [Fact]
    public void ResolveText_SplicesOutputs()
    {
        Assert.Equal("Summarize plain text output and 2", ReferenceResolver.ResolveText("Summarize ${s2} and ${s1.total}", Outputs));
    }

    [Fact]
    public void StepReferences_Parse_SplitsLiteralsAndReferences()
    {
        var parts = StepReferences.Parse("a ${s1.x[2].y} b ${s-2_b}", out var errors);

        Assert.Empty(errors);
        Assert.Equal(4, parts.Count);
        var first = parts[1].Reference!;
        Assert.Equal("s1", first.StepId);
        Assert.Equal(".x[2].y", first.PathText);
        Assert.Equal("s-2_b", parts[3].Reference!.StepId);
    }
}
