using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Plugins.Analyze;
using Plansmith.Plugins.Hosting;
using Plansmith.Testing;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// DATA reaches the program as a string literal in its source. Any text must arrive intact (or, for
/// what UTF-8 cannot carry, as U+FFFD) and never end the literal or break the program.
/// </summary>
public sealed class AnalyzeUnicodeDataTests : IDisposable
{
    private readonly PromptLibrary _prompts = new();

    public void Dispose() => _prompts.Dispose();

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        var samples = new (string Data, string CodePoints)[]
        {
            ("a\0b", "[97,0,98]"),
            ("\uD800x\uDC00", "[65533,120,65533]"), // lone surrogates: invalid UTF-16
            ("\uDC00\uD800", "[65533,65533]"), // a pair in the wrong order
            ("😀🇩🇪", "[128512,127465,127466]"),
            ("\u202Eabc\u200F\u2066", "[8238,97,98,99,8207,8294]"), // bidi overrides and marks
            ("\"\\\n\r\u2028\u2029\"; print('x')", "[34,92,10,13,8232,8233,34,59,32,112,114,105,110,116,40,39,120,39,41]"),
            ("\uFEFF\u0085\u001B[31m", "[65279,133,27,91,51,49,109]"),
        };
        foreach (var (text, codePoints) in samples)
        {
            data.Add("python", text, codePoints);
            data.Add("javascript", text, codePoints);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Analyze_AnyUnicodeData_ReachesTheProgramIntact(string language, string data, string codePoints)
    {
        var program = language == "python"
            ? "import json\nprint(json.dumps([ord(c) for c in DATA], separators=(',', ':')))"
            // Not Array.from(DATA): Jint 4.18's string iterator drops a trailing pair after another astral character.
            : "const out = []; for (let i = 0; i < DATA.length; ) { const c = DATA.codePointAt(i); out.push(c); i += c > 0xFFFF ? 2 : 1; } console.log(JSON.stringify(out))";
        var model = new ScriptedModel(_ => new ModelReply($"```{language}\n{program}\n```"));
        var kernel = Kernel.CreateBuilder()
            .AddOpenAIChatCompletion("scripted-model", new Uri("http://scripted.invalid/v1/"), "sk-test", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) }))
            .Build();
        using var resources = kernel.Plugins.AddPlansmithPlugins(new PlansmithPluginsOptions { EnableFetch = false }, _prompts);

        var result = await kernel.InvokeAsync("analyze", "analyze", new() { ["data"] = data, ["question"] = "Which code points?", ["language"] = language });

        using var json = JsonDocument.Parse(result.GetValue<string>()!);
        Assert.Equal(codePoints, json.RootElement.GetProperty("answer").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("attempts").GetInt32());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StringLiteral_AnyText_IsPrintableAscii(bool python)
    {
        var literal = AnalyzePlugin.StringLiteral("\0\uD800😀\u202E\"\\\n é", python);

        Assert.All(literal, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(python ? "\"\\u0000\\ufffd\\U0001f600\\u202e\\u0022\\u005c\\u000a\\u0020\\u00e9\"" : "\"\\u0000\\ufffd\\ud83d\\ude00\\u202e\\u0022\\u005c\\u000a\\u0020\\u00e9\"", literal.Replace(" ", "\\u0020", StringComparison.Ordinal));
    }
}
