using System.ComponentModel;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Tests.TestSupport;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hosting;

public sealed class PlansmithServiceCollectionExtensionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("plansmith-di-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string StorePath => Path.Combine(_dir, "runs.db");


    /// <summary>Fails on its first call, as a flaky service would, and works after.</summary>
    public sealed class FlakyPlugin
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        [KernelFunction("fetch"), Description("Fetches a value; fails the first time.")]
        public string Fetch([Description("What to fetch")] string what) =>
            Interlocked.Increment(ref _calls) == 1 ? throw new InvalidOperationException("The service is down.") : "fetched " + what;
    }

    public sealed class RejectingApprover : IPlanApprover
    {
        public ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(PlanApproval.Reject("not today"));
    }

    private static object Step(string id, string description, string[]? dependencies = null, string? tool = null, object? arguments = null) =>
        new { id, description, dependencies = dependencies ?? [], tool, arguments };

    /// <summary>The app's services, as an app would set them up: the kernel with the scripted model and plugins, then Plansmith.</summary>
    private static IKernelBuilder AddScriptedKernel(IServiceCollection services, ScriptedModel model)
    {
        var kernel = services.AddKernel()
            .AddOpenAIChatCompletion("scripted-model", new Uri("http://scripted.invalid/v1/"), TestAgents.ApiKey, httpClient: new HttpClient(new PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) }));
        kernel.Plugins.AddFromType<MathPlugin>("math");
        return kernel;
    }

    private static void TestOptions(PlansmithOptions o)
    {
        o.UseRouter = false;
        o.MaxReflectionRounds = 0;
        o.MaxReplans = 0;
        o.Execution.MaxRetries = 0;
        o.Execution.RetryBaseDelay = TimeSpan.Zero;
    }

    [Fact]
    public async Task AddPlansmith_NextToAddKernel_ResolvesAnAgentUsingTheHostsChatService()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "Add", tool = "math.add", arguments = new { a = 2, b = 2 } } } })
            : new ModelReply("Four."));
        var services = new ServiceCollection();
        AddScriptedKernel(services, model);
        services.AddPlansmith(o => { o.UseRouter = false; o.MaxReflectionRounds = 0; });
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("What is 2 + 2?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("Four.", result.Answer);
        Assert.Null(result.RunId);
        Assert.Single(provider.GetServices<IChatCompletionService>());
    }

    [Fact]
    public async Task AddPlansmith_ConfiguredOptions_ReachTheResolvedAgent()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }), Step("s2", "Add again", ["s1"], "math.add", new { a = 3, b = 4 }) } })
            : new ModelReply("Done."));
        var services = new ServiceCollection();
        AddScriptedKernel(services, model);
        services.AddPlansmith(o => { TestOptions(o); o.MaxSteps = 1; o.MaxPlanAttempts = 1; });
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("Add twice");

        Assert.Equal(AgentRunStatus.Rejected, result.Status);
        Assert.False(result.RejectedByApprover);
        Assert.Contains("at most 1 are allowed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPlansmith_InvalidOptions_FailsWhenTheAgentIsResolvedNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddKernel();
        services.AddPlansmith(o => o.Execution.MaxParallelism = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PlanningAgent>());

        Assert.Contains("MaxParallelism", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPlansmith_InvalidOptions_FailStartupValidationNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddKernel();
        services.AddPlansmith(o => o.Execution.MaxParallelism = 0);
        using var provider = services.BuildServiceProvider();

        // What a generic host runs as it starts.
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("MaxParallelism", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPlansmith_WithoutAKernel_FailsWhenResolvedNamingAddKernel()
    {
        var services = new ServiceCollection();
        services.AddPlansmith();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<PlanningAgent>());

        Assert.Contains("services.AddKernel()", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeAsync_AgentFromAddPlansmithWithoutAStore_ThrowsNamingUseSqliteRunStore()
    {
        var services = new ServiceCollection();
        services.AddKernel();
        services.AddPlansmith();
        using var provider = services.BuildServiceProvider();
        var agent = provider.GetRequiredService<PlanningAgent>();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => agent.ResumeAsync("any-run"));

        Assert.Contains(".UseSqliteRunStore(path)", ex.Message, StringComparison.Ordinal);
        Assert.Null(provider.GetService<IRunStore>());
    }

    [Fact]
    public async Task UseSqliteRunStore_FailedRunAfterARestart_IsListedAndResumedWithoutRerunningCompletedSteps()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new
            {
                steps = new[]
                {
                    Step("s1", "Count", tool: "counting.count", arguments: new { value = "a" }),
                    Step("s2", "Fetch", ["s1"], "flaky.fetch", new { what = "${s1}" }),
                    Step("s3", "Count again", ["s2"], "counting.count", new { value = "${s2}" }),
                },
            })
            : new ModelReply("Done."));
        var counting = new CountingPlugin();
        var flaky = new FlakyPlugin();
        ServiceProvider App()
        {
            var services = new ServiceCollection();
            var kernel = AddScriptedKernel(services, model);
            kernel.Plugins.AddFromObject(counting, "counting");
            kernel.Plugins.AddFromObject(flaky, "flaky");
            services.AddPlansmith(TestOptions).UseSqliteRunStore(StorePath);
            return services.BuildServiceProvider();
        }

        string runId;
        using (var first = App())
        {
            var failed = await first.GetRequiredService<PlanningAgent>().RunAsync("Count, fetch and count");
            Assert.Equal(AgentRunStatus.Failed, failed.Status);
            Assert.Equal(StepStatus.Failed, failed["s2"].Status);
            runId = failed.RunId!;
        }

        Assert.Equal((1, 1), (counting.Calls, flaky.Calls));

        // The app restarts: new services over the same file.
        using var second = App();
        var listed = Assert.Single(await second.GetRequiredService<IRunStore>().ListRunsAsync());
        Assert.Equal((runId, StoredRunStatus.Failed), (listed.Id, listed.Status));

        var resumed = await second.GetRequiredService<PlanningAgent>().ResumeAsync(runId);

        Assert.Equal(AgentRunStatus.Completed, resumed.Status);
        Assert.Equal(runId, resumed.RunId);
        Assert.Equal(2, counting.Calls); // s1 in the first session only, s3 now.
        Assert.Equal(2, flaky.Calls);
        Assert.True(resumed["s1"].Restored);
        Assert.Equal("counted fetched counted a", resumed["s3"].Output);
        Assert.Single(model.RequestsFor("plan_create"));
        Assert.Equal(StoredRunStatus.Completed, Assert.Single(await second.GetRequiredService<IRunStore>().ListRunsAsync()).Status);
    }

    [Fact]
    public void UseSqliteRunStore_InvalidStoreOptions_FailStartupValidationNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddKernel();
        services.AddPlansmith().UseSqliteRunStore(StorePath, o => o.LeaseDuration = TimeSpan.FromSeconds(1));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("LeaseDuration", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public void UseSqliteRunStore_EmptyPath_FailsAtOnce()
    {
        var builder = new ServiceCollection().AddPlansmith();

        Assert.Throws<ArgumentException>(() => builder.UseSqliteRunStore(" "));
    }

    [Fact]
    public async Task UseRunStore_AfterUseSqliteRunStore_ReplacesIt()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }) } })
            : new ModelReply("Three."));
        var ours = new SqliteRunStore(Path.Combine(_dir, "ours.db"));
        var services = new ServiceCollection();
        AddScriptedKernel(services, model);
        services.AddPlansmith(TestOptions).UseSqliteRunStore(StorePath).UseRunStore(_ => ours);
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("Add one and two");

        Assert.Same(ours, provider.GetRequiredService<IRunStore>());
        Assert.Equal(result.RunId, Assert.Single(await ours.ListRunsAsync()).Id);
        Assert.False(File.Exists(StorePath));
    }

    [Fact]
    public async Task UseRunStoreOfType_HostsRegisteredStore_IsTheOneRecordedIn()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }) } })
            : new ModelReply("Three."));
        var ours = new SqliteRunStore(StorePath);
        var services = new ServiceCollection();
        AddScriptedKernel(services, model);
        services.AddSingleton(ours);
        services.AddPlansmith(TestOptions).UseRunStore<SqliteRunStore>();
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("Add one and two");

        Assert.Equal(result.RunId, Assert.Single(await ours.ListRunsAsync()).Id);
    }

    [Fact]
    public async Task UsePlanApprover_ItsDecision_IsTheAgents()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new[] { Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 }) } })
            : new ModelReply("Three."));
        var services = new ServiceCollection();
        AddScriptedKernel(services, model);
        services.AddPlansmith(TestOptions).UsePlanApprover<RejectingApprover>();
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("Add one and two");

        Assert.Equal(AgentRunStatus.Rejected, result.Status);
        Assert.True(result.RejectedByApprover);
        Assert.IsType<RejectingApprover>(provider.GetRequiredService<IPlanApprover>());
    }
}
