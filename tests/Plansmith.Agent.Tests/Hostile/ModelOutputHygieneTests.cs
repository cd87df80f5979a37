using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Microsoft.Extensions.DependencyInjection;
using Plansmith.Agent.Reports;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Security;
using Plansmith.Agent.Tests.TestSupport;

namespace Plansmith.Agent.Tests.Hostile;

/// <summary>Model output as an attacker would write it: echoed keys, fences that break out, oversized plans.</summary>
public sealed class ModelOutputHygieneTests
{
    private const string Key = "sk-canary-0123456789abcdef";

    [Theory]
    [InlineData("before sk-canary-0123456789abcdef after")]
    [InlineData("before sk-can|ary-0123456789|abcdef after")]
    [InlineData("s|k|-|canary-0123456789abcde|f")]
    [InlineData("ends with sk-canary-0123456789abcdef")]
    [InlineData("ends with a prefix sk-canary-01")]
    [InlineData("sk-canary-0123456789abcdefsk-canary-0123456789abcdef")]
    [InlineData("url form sk-canary-0123456789abcdef| and sk-canary-0123456789abcdef")]
    public void StreamRedaction_SecretSplitAcrossPieces_NeverPassesThrough(string joined)
    {
        var pieces = joined.Split('|');
        var redactor = new SecretRedactor([Key]);
        var stream = redactor.CreateStream();
        var passed = string.Concat(pieces.Select(stream.Push)) + stream.Flush();
        Assert.DoesNotContain(Key, passed, StringComparison.Ordinal);
        Assert.Equal(redactor.Redact(string.Concat(pieces)), passed);
    }

    [Fact]
    public void Redact_ShortPlaceholderKeys_AreNotTreatedAsSecrets()
    {
        var redactor = new SecretRedactor(["no-key", null, string.Empty]);
        Assert.True(redactor.IsEmpty);
        Assert.Equal("no-key stays", redactor.Redact("no-key stays"));
    }

    [Fact]
    public void Redact_UrlEncodedKey_IsMaskedToo()
    {
        var secret = "pa ss/word+1234";
        var redactor = new SecretRedactor([secret]);
        Assert.Equal("x [redacted] y [redacted]", redactor.Redact($"x {secret} y {Uri.EscapeDataString(secret)}"));
    }

    [Fact]
    public async Task RedactionFilter_ModelRepliesWholeAndStreamed_LoseTheKey()
    {
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton<IChatCompletionService>(new EchoChatService("key " + Key + " end"));
        builder.Services.AddSingleton<IFunctionInvocationFilter>(new SecretRedactionFilter(new SecretRedactor([Key])));
        var kernel = builder.Build();
        var function = kernel.CreateFunctionFromPrompt("Say it");
        var whole = await function.InvokeAsync(kernel);
        Assert.Equal("key [redacted] end", whole.GetValue<string>());
        var streamed = new List<string>();
        await foreach (var chunk in function.InvokeStreamingAsync<StreamingChatMessageContent>(kernel))
        {
            streamed.Add(chunk.Content ?? string.Empty);
        }

        Assert.Equal("key [redacted] end", string.Concat(streamed));
        var tool = kernel.CreateFunctionFromMethod(() => "tool saw " + Key, "leaky");
        Assert.Equal("tool saw [redacted]", (await tool.InvokeAsync(kernel)).GetValue<string>());
    }

    [Theory]
    [InlineData("```\n# Injected heading\n```")]
    [InlineData("````\nfour\n````")]
    [InlineData("text ``` inline ``````")]
    public void MarkdownReport_OutputWithFences_StaysInsideItsBlock(string output)
    {
        var markdown = RunReport.Markdown(Run(output, "Read\n# Fake heading <script>alert(1)</script>"));
        var lines = markdown.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("```", StringComparison.Ordinal) && l.Trim('`').Length == 0 && lines.Skip(Array.IndexOf(lines, l) + 1).FirstOrDefault() == output.Split('\n')[0]);
        Assert.True(start >= 0, markdown);
        var fence = lines[start];
        var end = Array.FindIndex(lines, start + 1, l => l == fence);
        Assert.Equal(string.Join('\n', lines[(start + 1)..end]), output);
        Assert.True(output.Split('\n').All(l => !l.StartsWith(fence, StringComparison.Ordinal) || l.Trim('`').Length > 0 || l.Length < fence.Length), "a line of the output could close the fence");
        Assert.DoesNotContain("\n# Fake heading", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PlanTextOverTheCap_IsRefusedBeforeParsing()
    {
        var huge = "{\"steps\":[{\"id\":\"s1\",\"description\":\"" + new string('x', PlanJson.MaxTextLength) + "\"}]}";
        var ex = Assert.Throws<PlanParseException>(() => PlanReader.Parse(huge));
        Assert.Equal(PlanProblemCode.TooLarge, Assert.Single(ex.Problems).Code);
        Assert.Contains("at most", ex.Problems[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(65, 10, PlanProblemCode.TooLong)]
    [InlineData(10, 4_001, PlanProblemCode.TooLong)]
    [InlineData(64, 4_000, null)]
    public void Validate_LongIdsAndDescriptions_AreProblemsTheModelCanFix(int idLength, int descriptionLength, PlanProblemCode? expected)
    {
        var plan = TestPlans.Of(new PlanStep { Id = new string('a', idLength), Description = new string('d', descriptionLength) });
        var problems = new PlanValidator(new PlanValidationOptions()).Check(plan, new Kernel().Plugins);
        if (expected is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p.Code == expected && p.Message.Contains("at most", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_LongFallbackDescription_IsAProblem()
    {
        var plan = TestPlans.Of(new PlanStep { Id = "s1", Description = "ok", Fallback = new StepFallback { Description = new string('f', 5_000) } });
        var problems = new PlanValidator(new PlanValidationOptions()).Check(plan, new Kernel().Plugins);
        Assert.Contains(problems, p => p.Code == PlanProblemCode.TooLong && p.StepId == "s1" && p.Message.Contains("fallback", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_RunawayAnswer_IsCutAtTheCapAndNotCompleted(bool streamed)
    {
        var huge = string.Concat(Enumerable.Repeat("All work and no play. ", 20_000));
        var model = new Plansmith.Testing.ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plansmith.Testing.ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Think" } } }),
            "step_execute" => new Plansmith.Testing.ModelReply("thought"),
            "synthesize" when r.Stream == streamed => new Plansmith.Testing.ModelReply(huge),
            "synthesize" => new Plansmith.Testing.ModelReply(string.Empty),
            _ => new Plansmith.Testing.ModelReply("ok"),
        });
        await using var server = new Plansmith.Testing.LoopbackOpenAIServer(model);
        var kernel = Kernel.CreateBuilder().AddOpenAIChatCompletion("m", server.BaseAddress, "sk-test-cap", httpClient: Plansmith.Agent.Hosting.ModelHttpClient.Create(new Plansmith.Agent.Hosting.ModelResilienceOptions { MaxRetries = 0 })).Build();
        var options = new Plansmith.Agent.Planning.PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0, MaxReplans = 0, MaxAnswerChars = 5_000 };
        using var agent = new Plansmith.Agent.Planning.PlanningAgent(kernel, options);

        var result = await agent.RunAsync("Write a lot");

        Assert.NotEqual(Plansmith.Agent.Runs.AgentRunStatus.Completed, result.Status);
        Assert.True(result.Answer.Length < 5_100, $"answer of {result.Answer.Length} characters");
        Assert.StartsWith(huge[..4_000], result.Answer, StringComparison.Ordinal);
        Assert.Contains("cut at 5,000 characters", result.Answer, StringComparison.Ordinal);
        Assert.Contains("MaxAnswerChars", result.Error, StringComparison.Ordinal);
    }

    private static StoredRun Run(string output, string description) => new()
    {
        Id = "r1",
        Info = new RunInfo("goal\n# not a heading", "test", "{}", string.Empty, string.Empty, []),
        Status = StoredRunStatus.Completed,
        PlanVersions = [TestPlans.Of(new PlanStep { Id = "s1", Description = description })],
        Steps = [new StoredStep("s1", StepStatus.Completed, output, 1, null, null, null, false)],
    };

    private sealed class EchoChatService(string reply) : IChatCompletionService
    {
        public IReadOnlyDictionary<string, object?> Attributes { get; } = new Dictionary<string, object?>();

        public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ChatMessageContent>>([new ChatMessageContent(AuthorRole.Assistant, reply)]);

        public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            for (var i = 0; i < reply.Length; i += 3)
            {
                yield return new StreamingChatMessageContent(AuthorRole.Assistant, reply.Substring(i, Math.Min(3, reply.Length - i)));
            }
        }
    }
}
