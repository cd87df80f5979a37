using System.Text.Json;
using System.Text.RegularExpressions;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>Prompts are known by name: rewording them changes nothing that code relies on, and the documented inputs are the code's.</summary>
public sealed partial class PromptNamingTests : IDisposable
{
    private const string NewFirstSentence = "Work as a careful assistant for Plansmith and follow the rules below.";
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-reworded-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ScriptedModel_EveryFirstSentenceReworded_IdentifiesEachPromptByName()
    {
        RewordBuiltInPromptsInto(_dir);
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = string.Empty }),
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    new { id = "s1", description = "Add", dependencies = Array.Empty<string>(), tool = "math.add", arguments = new { a = 2, b = 3 } },
                    new { id = "s2", description = "Explain ${s1}", dependencies = new[] { "s1" } },
                    new { id = "s3", description = "The sum is 5", dependencies = new[] { "s2" }, kind = "verify" },
                },
            }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "step_execute" => new ModelReply("5 is the sum"),
            "step_verify" => ModelReply.Json(new { passed = true, reason = "it says so" }),
            "synthesize" => new ModelReply("The sum is 5."),
            _ => throw new InvalidOperationException("unidentified request: " + r.System),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o =>
        {
            o.UseRouter = true;
            o.MaxReflectionRounds = 1;
            o.PromptsDirectory = _dir;
        }));

        var result = await agent.RunAsync("What is 2 + 3, explained and checked?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("The sum is 5.", result.Answer);
        Assert.All(model.Requests, r => Assert.StartsWith(NewFirstSentence, r.System, StringComparison.Ordinal));
        Assert.Equal(
            ["plan_create", "plan_reflect", "route", "step_execute", "step_verify", "synthesize"],
            model.Requests.Select(r => r.Prompt).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void InputNames_OfEveryPromptRecord_AreDeclaredInItsConfig()
    {
        foreach (var (name, type) in PromptNames.InputTypes)
        {
            using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "prompts", name, "config.json")));
            var declared = config.RootElement.GetProperty("input_variables").EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToList();
            Assert.Equal(InputNames.Of(type), declared);
        }
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("prompts/README.md")]
    public void PromptInputsTable_InTheReadme_MatchesTheInputRecords(string readme)
    {
        var text = File.ReadAllText(Path.Combine(RepositoryFolder.Root, readme));
        var rows = TableRow().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["inputs"].Value.Split(',', StringSplitOptions.TrimEntries));

        Assert.Equal(PromptNames.InputTypes.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, type) in PromptNames.InputTypes)
        {
            Assert.Equal(InputNames.Of(type), rows[name]);
        }

        if (readme.StartsWith("prompts", StringComparison.Ordinal))
        {
            var fragments = FragmentCell().Matches(text).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["cell"].Value.Trim());
            foreach (var name in PromptNames.InputTypes.Keys)
            {
                var expected = PromptNames.RequiredFragments.TryGetValue(name, out var required)
                    ? string.Join(", ", required.Select(f => $"`{f.Key}` ({string.Join(", ", InputNames.Of(f.Value))})"))
                    : "—";
                Assert.Equal(expected, fragments[name]);
            }
        }
    }

    [Fact]
    public void InputNames_OfARecord_AreItsParametersInSnakeCase()
    {
        Assert.Equal(["goal", "plan", "completed", "failed_step", "error", "tools", "agents", "max_steps", "feedback"], InputNames.Of(typeof(PlanReviseInputs)));
        var arguments = new PlanCreateInputs("g", "t", "none", 7, string.Empty, string.Empty).ToArguments();
        Assert.Equal("7", arguments["max_steps"]);
        Assert.Equal("g", arguments["goal"]);
    }

    /// <summary>Copies the built-in prompts (with their configs and fragments), changing the first sentence of each template.</summary>
    internal static void RewordBuiltInPromptsInto(string target)
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.Combine(AppContext.BaseDirectory, "prompts")))
        {
            var into = Path.Combine(target, Path.GetFileName(folder));
            Directory.CreateDirectory(into);
            foreach (var file in Directory.EnumerateFiles(folder))
            {
                File.Copy(file, Path.Combine(into, Path.GetFileName(file)));
            }

            var template = Path.Combine(into, "skprompt.txt");
            var text = File.ReadAllText(template);
            var changed = FirstSentence().Replace(text, "${tag}" + NewFirstSentence, 1);
            Assert.NotEqual(text, changed);
            File.WriteAllText(template, changed);
        }
    }


    [GeneratedRegex(@"(?<tag><message role=""system"">)[^.]*\.")]
    private static partial Regex FirstSentence();

    [GeneratedRegex(@"^\| `(?<name>[a-z_]+)` \| (?<inputs>[a-z_, ]+) \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"^\| `(?<name>[a-z_]+)` \| [a-z_, ]+ \| (?<cell>[^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex FragmentCell();
}
