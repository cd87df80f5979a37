using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hosting;

public sealed class PlansmithServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddPlansmith_WithHostKernel_ResolvesAWorkingExecutor()
    {
        var services = new ServiceCollection();
        services.AddSingleton(TestKernels.WithTestPlugins());
        services.AddPlansmith(o => { o.Execution.MaxParallelism = 2; o.MaxSteps = 10; });
        using var provider = services.BuildServiceProvider();

        var plan = PlanJson.Parse("""{"steps": [{"id": "s1", "description": "add", "tool": "math.add", "arguments": {"a": 1, "b": 2}}]}""");
        provider.GetRequiredService<PlanValidator>().Validate(plan, provider.GetRequiredService<Kernel>().Plugins);
        var result = await provider.GetRequiredService<PlanExecutor>().ExecuteAsync(plan);

        Assert.Equal("3", result["s1"].Output);
        Assert.Equal(2, provider.GetRequiredService<IOptions<PlansmithOptions>>().Value.Execution.MaxParallelism);
    }

    [Fact]
    public void AddPlansmith_InvalidOptions_FailsWhenResolvedNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddSingleton(new Kernel());
        services.AddPlansmith(o => o.Execution.MaxParallelism = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PlanExecutor>());

        Assert.Contains("MaxParallelism", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPlansmith_NextToAddKernel_ResolvesAnAgentUsingTheHostsChatService()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 2, b = 2 } } } })
            : new ModelReply("Four."));
        var services = new ServiceCollection();
        services.AddKernel()
            .AddOpenAIChatCompletion("scripted-model", new Uri("http://scripted.invalid/v1/"), TestAgents.ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) }))
            .Plugins.AddFromType<MathPlugin>("math");
        services.AddPlansmith(o => { o.UseRouter = false; o.MaxReflectionRounds = 0; });
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("What is 2 + 2?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("Four.", result.Answer);
        Assert.Single(provider.GetServices<IChatCompletionService>());
    }
}
