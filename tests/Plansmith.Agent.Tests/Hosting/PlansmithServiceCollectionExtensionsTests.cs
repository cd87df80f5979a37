using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Tests.TestSupport;

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
}
