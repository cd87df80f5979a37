using System.Text.Json;
using System.Text.RegularExpressions;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>
/// Prompts are known by name: rewording every built-in prompt's first sentence in an override
/// folder leaves the offline main job (the README's first command) working exactly as before.
/// </summary>
public sealed partial class RewordedPromptsTests : IDisposable
{
    private const string Goal = "Compare retries and fallbacks";
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-reworded-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Run_OfflineWithEveryFirstSentenceReworded_PlansRunsAndAnswersLikeTheBuiltInPrompts()
    {
        var repo = RepositoryFolder.Root;
        var prompts = Path.Combine(_work, "prompts");
        var reworded = 0;
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(repo, "prompts")))
        {
            var target = Path.Combine(prompts, Path.GetFileName(folder));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }

            var template = Path.Combine(target, "skprompt.txt");
            var text = File.ReadAllText(template);
            var changed = FirstSentence().Replace(text, "${tag}Work as a careful assistant for Plansmith and follow the rules below.", 1);
            Assert.NotEqual(text, changed);
            File.WriteAllText(template, changed);
            reworded++;
        }

        Assert.True(reworded >= 10, $"only {reworded} prompts found");
        var docs = Path.Combine(repo, "docs");

        var builtIn = await RunJsonAsync("run", "--offline", "--no-store", "--corpus", docs, "--root", docs, "--json", Goal);
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "run", "--offline", "--no-store", "--prompts", prompts, "--corpus", docs, "--root", docs, "--json", Goal);

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(root.GetProperty("answer").GetString()));
        Assert.Equal(Shape(builtIn.RootElement), Shape(root));
        Assert.Equal(builtIn.RootElement.GetProperty("answer").GetString(), root.GetProperty("answer").GetString());
        builtIn.Dispose();
    }

    private async Task<JsonDocument> RunJsonAsync(params string[] args)
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, args);
        Assert.True(exit == 0, error);
        return JsonDocument.Parse(output);
    }

    /// <summary>The plan's shape: each step's id, kind, tool and dependencies.</summary>
    private static string Shape(JsonElement result) =>
        string.Join("; ", result.GetProperty("plan").GetProperty("steps").EnumerateArray().Select(s =>
            $"{s.GetProperty("id").GetString()} {Text(s, "kind")} {Text(s, "tool")} [{string.Join(",", s.GetProperty("dependencies").EnumerateArray().Select(d => d.GetString()))}]"));

    private static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";


    /// <summary>The first sentence of the system message.</summary>
    [GeneratedRegex(@"(?<tag><message role=""system"">)[^.]*\.")]
    private static partial Regex FirstSentence();
}
