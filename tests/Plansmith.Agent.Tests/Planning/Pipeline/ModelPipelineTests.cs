using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Tests.Planning.Pipeline;

/// <summary>The layers of a run's model pipeline, one at a time, over a fake chat service.</summary>
public sealed class ModelPipelineTests
{
    /// <summary>Answers "ok" with the given usage, streamed in two pieces; counts calls.</summary>
    private sealed class FakeChat(int input = 10, int output = 5) : IChatCompletionService
    {
        public int Calls { get; private set; }

        public IReadOnlyDictionary<string, object?> Attributes { get; } = new Dictionary<string, object?>();

        public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            IReadOnlyList<ChatMessageContent> reply = [new ChatMessageContent(AuthorRole.Assistant, "ok", metadata: Usage())];
            return Task.FromResult(reply);
        }

        public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Calls++;
            await Task.Yield();
            yield return new StreamingChatMessageContent(AuthorRole.Assistant, "o");
            yield return new StreamingChatMessageContent(AuthorRole.Assistant, "k", metadata: Usage());
        }

        private Dictionary<string, object?> Usage() => new() { ["Usage"] = new Microsoft.Extensions.AI.UsageDetails { InputTokenCount = input, OutputTokenCount = output } };
    }

    /// <summary>Writes its name on the way in, to show the order of the layers.</summary>
    private sealed class Marker(IChatCompletionService inner, string name, List<string> order) : DelegatingChatCompletionService(inner)
    {
        public override Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
        {
            order.Add(name);
            return base.GetChatMessageContentsAsync(chatHistory, executionSettings, kernel, cancellationToken);
        }
    }

    private static RunMeter Meter(int maxCalls = 10) => new(new RunBudget { MaxModelCalls = maxCalls }, new FakeTimeProvider());

    [Fact]
    public async Task Build_SeveralLayers_FirstUseIsOutermost()
    {
        var order = new List<string>();
        var service = new ModelPipelineBuilder(new FakeChat())
            .Use(inner => new Marker(inner, "first", order))
            .Use(inner => new Marker(inner, "second", order))
            .Build();

        await service.GetChatMessageContentsAsync(new ChatHistory("hi"));

        Assert.Equal(["first", "second"], order);
    }

    [Fact]
    public async Task UseBudget_CallsPastTheLimit_ThrowBeforeReachingTheModel()
    {
        using var meter = Meter(maxCalls: 2);
        var chat = new FakeChat();
        var service = new ModelPipelineBuilder(chat).UseBudget(meter).Build();

        await service.GetChatMessageContentsAsync(new ChatHistory("1"));
        await service.GetChatMessageContentsAsync(new ChatHistory("2"));
        await Assert.ThrowsAsync<BudgetExceededException>(() => service.GetChatMessageContentsAsync(new ChatHistory("3")));

        Assert.Equal(2, chat.Calls);
        Assert.Equal(2, meter.Usage.ModelCalls);
    }

    [Fact]
    public async Task UseBudget_SpentBudgetInsideExempt_CallsGoThroughAndCount()
    {
        using var meter = Meter(maxCalls: 1);
        var chat = new FakeChat();
        var service = new ModelPipelineBuilder(chat).UseBudget(meter).Build();
        await service.GetChatMessageContentsAsync(new ChatHistory("1"));

        using (BudgetChatCompletionService.Exempt())
        {
            await foreach (var _ in service.GetStreamingChatMessageContentsAsync(new ChatHistory("answer")))
            {
            }
        }

        Assert.Equal(2, chat.Calls);
        Assert.Equal(2, meter.Usage.ModelCalls);
        await Assert.ThrowsAsync<BudgetExceededException>(() => service.GetChatMessageContentsAsync(new ChatHistory("after")));
    }

    [Fact]
    public async Task UseUsageMetering_CallsAndStreams_AddTokensToTheRunAndTheStepScope()
    {
        using var meter = Meter();
        var service = new ModelPipelineBuilder(new FakeChat(input: 100, output: 20)).UseUsageMetering(meter).Build();

        using var scope = UsageScope.Begin();
        await service.GetChatMessageContentsAsync(new ChatHistory("1"));
        await foreach (var _ in service.GetStreamingChatMessageContentsAsync(new ChatHistory("2")))
        {
        }

        Assert.Equal(new TokenUsage(0, 200, 40), meter.Usage);
        Assert.Equal(new TokenUsage(2, 200, 40), scope.Total);
    }
}
