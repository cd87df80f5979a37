using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Planning;
using Plansmith.Testing;

namespace Plansmith.Bench.Scenarios;

/// <summary>
/// Where a run's CPU goes: the same small run with zero latencies, once through SK's OpenAI
/// connector (HTTP handler in process, JSON on the wire) and once through a chat service that
/// answers in memory. Run: … -- cpu
/// </summary>
internal static class CpuCostRunner
{
    public static async Task<int> RunAsync()
    {
        var workload = new Workload("fan-out of 4 + join", [
            new WorkTask("a", TimeSpan.Zero, []), new WorkTask("b", TimeSpan.Zero, []), new WorkTask("c", TimeSpan.Zero, []), new WorkTask("d", TimeSpan.Zero, []),
            new WorkTask("join", TimeSpan.Zero, ["a", "b", "c", "d"])]);
        var plan = System.Text.Json.JsonSerializer.Serialize(new { steps = workload.Tasks.Select(t => new { id = t.Id, description = "Run " + t.Id, dependencies = t.Dependencies, tool = "work.run", arguments = new { task = t.Id } }) });
        Console.WriteLine("| chat service | CPU per run | wall per run (sequential) |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var viaConnector in new[] { true, false })
        {
            var builder = Kernel.CreateBuilder();
            if (viaConnector)
            {
                var model = new ScriptedModel(r => r.Prompt == "plan_create" ? new ModelReply(plan) : new ModelReply("done"));
                builder.AddOpenAIChatCompletion("m", new Uri("http://cpu.invalid/v1/"), "sk", httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) }));
            }
            else
            {
                builder.Services.AddSingleton<IChatCompletionService>(new InMemoryChat(plan));
            }

            var kernel = builder.Build();
            kernel.Plugins.AddFromObject(new ScenarioRunner.WorkPlugin(workload), "work");
            using var prompts = new PromptLibrary();
            using var agent = new PlanningAgent(kernel, new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 }, prompts);
            for (var i = 0; i < 50; i++)
            {
                await agent.RunAsync("warm up");
            }

            const int Runs = 500;
            using var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Runs; i++)
            {
                await agent.RunAsync("run");
            }

            process.Refresh();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {(viaConnector ? "SK OpenAI connector (in-process HTTP handler)" : "in-memory chat service")} | {(process.TotalProcessorTime - cpu).TotalMilliseconds / Runs:0.00} ms | {clock.Elapsed.TotalMilliseconds / Runs:0.00} ms |"));
        }

        return 0;
    }

    private sealed class InMemoryChat(string plan) : IChatCompletionService
    {
        public IReadOnlyDictionary<string, object?> Attributes { get; } = new Dictionary<string, object?>();

        public Task<IReadOnlyList<ChatMessageContent>> GetChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, CancellationToken cancellationToken = default)
        {
            // Known by the prompt's name, never its wording.
            var reply = PromptCall.Current?.Name == PromptNames.PlanCreate ? plan : "done";
            return Task.FromResult<IReadOnlyList<ChatMessageContent>>([new ChatMessageContent(AuthorRole.Assistant, reply)]);
        }

        public async IAsyncEnumerable<StreamingChatMessageContent> GetStreamingChatMessageContentsAsync(ChatHistory chatHistory, PromptExecutionSettings? executionSettings = null, Kernel? kernel = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return new StreamingChatMessageContent(AuthorRole.Assistant, "done");
        }
    }
}
