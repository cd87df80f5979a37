using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Hosting;

/// <summary>The seams a DI user replaces through the builder: planner, router, synthesizer, step executors.</summary>
public sealed class PlansmithBuilderSeamTests
{
    private static void Quiet(PlansmithOptions o)
    {
        o.UseRouter = false;
        o.MaxReflectionRounds = 0;
        o.MaxReplans = 0;
        o.Execution.MaxRetries = 0;
    }

    private static ServiceCollection Services(ScriptedModel model)
    {
        var services = new ServiceCollection();
        services.AddSingleton(TestAgents.Kernel(model));
        return services;
    }

    /// <summary>Plans from code: one tool step adding the two numbers in the goal.</summary>
    public sealed class FixedPlanner : IPlanner
    {
        public int Created { get; private set; }

        public Task<Plan> CreateAsync(RunContext run, CancellationToken cancellationToken = default)
        {
            Created++;
            return Task.FromResult(new Plan([new PlanStep { Id = "sum", Description = "Add", Tool = "math.add", Arguments = new Dictionary<string, System.Text.Json.JsonElement> { ["a"] = System.Text.Json.JsonSerializer.SerializeToElement(20), ["b"] = System.Text.Json.JsonSerializer.SerializeToElement(22) } }], run.Goal));
        }

        public Task<PlanReview> ReflectAsync(RunContext run, Plan plan, CancellationToken cancellationToken = default) =>
            Task.FromResult(new PlanReview(true, [], plan));

        public Task<Plan> ReviseAsync(RunContext run, PlanFailure failure, CancellationToken cancellationToken = default) =>
            throw new PlanningFailedException("fixed", 1, []);

        public Task<Plan?> DecomposeAsync(RunContext run, PlanStep subgoal, string context, CancellationToken cancellationToken = default) =>
            Task.FromResult<Plan?>(null);
    }

    /// <summary>Answers with the outputs it was given, and the conversation it saw.</summary>
    public sealed class EchoSynthesizer : ISynthesizer
    {
        public async IAsyncEnumerable<string> WriteStreamingAsync(RunContext run, AnswerRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            yield return await WriteAsync(run, request, cancellationToken);
        }

        public Task<string> WriteAsync(RunContext run, AnswerRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult($"sum={request.Records.Single().Output}; turns={run.Conversation.Count}");
    }

    /// <summary>Takes steps whose tool is <c>custom.shout</c>, which no plugin offers.</summary>
    public sealed class ShoutExecutor : IStepExecutor
    {
        public bool CanExecute(PlanStep planStep) => planStep.Tool == "custom.shout";

        public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(new StepOutput(context.Step.Description.ToUpperInvariant() + "!"));
    }

    [Fact]
    public async Task UsePlannerAndSynthesizer_Run_UsesThemAndNoPlanningPrompt()
    {
        var model = new ScriptedModel(_ => throw new InvalidOperationException("No prompt should reach the model."));
        var services = Services(model);
        services.AddPlansmith(Quiet).UsePlanner<FixedPlanner>().UseSynthesizer<EchoSynthesizer>();
        using var provider = services.BuildServiceProvider();
        var agent = provider.GetRequiredService<PlanningAgent>();

        var result = await agent.RunAsync(
            "Add twenty and twenty-two",
            new RunOptions { Conversation = [new ChatMessage(ChatRole.User, "Hi"), new ChatMessage(ChatRole.Assistant, "Hello")] });

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("sum=42; turns=2", result.Answer);
        Assert.Equal(1, provider.GetRequiredService<IPlanner>() is FixedPlanner planner ? planner.Created : -1);
        Assert.Empty(model.Requests);
    }

    [Fact]
    public async Task UseRouter_NoPlanNeeded_AnswersWithoutPlanning()
    {
        var model = new ScriptedModel(_ => throw new InvalidOperationException("No prompt should reach the model."));
        var services = Services(model);
        services.AddPlansmith(o => { Quiet(o); o.UseRouter = true; }).UseRouter<GreetingRouter>();
        using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("hello");

        Assert.Equal(AgentRunStatus.Answered, result.Status);
        Assert.Equal("Hello to you too.", result.Answer);
    }

    public sealed class GreetingRouter : IRouter
    {
        public Task<RouteDecision> RouteAsync(RunContext run, CancellationToken cancellationToken = default) =>
            Task.FromResult(new RouteDecision(false, "Hello to you too."));
    }

    [Fact]
    public async Task AddStepExecutor_StepItTakes_RunsThroughIt()
    {
        var model = new ScriptedModel(r => r.Prompt == "plan_create"
            ? ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "make some noise", tool = "custom.shout", arguments = new { } } } })
            : new ModelReply("Noise made."));
        var services = Services(model);
        services.AddPlansmith(Quiet).AddStepExecutor<ShoutExecutor>();
        using var provider = services.BuildServiceProvider();

        // custom.shout is no plugin: the validator refuses it unless a plugin of that name exists,
        // so the host offers a placeholder function for planning and the executor does the work.
        provider.GetRequiredService<Kernel>().Plugins.AddFromFunctions("custom", [KernelFunctionFactory.CreateFromMethod(() => "never called", "shout")]);
        var result = await provider.GetRequiredService<PlanningAgent>().RunAsync("Shout");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("MAKE SOME NOISE!", result["s1"].Output);
    }

    [Fact]
    public void WithoutBuiltInStepExecutors_KindsLeftUncovered_FailWhenResolvedNamingThem()
    {
        var services = Services(new ScriptedModel(_ => new ModelReply("unused")));
        services.AddPlansmith().WithoutBuiltInStepExecutors().AddStepExecutor<ShoutExecutor>();
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PlanningAgent>());

        Assert.Contains("model steps", ex.Message, StringComparison.Ordinal);
        Assert.Contains("verify steps", ex.Message, StringComparison.Ordinal);
        Assert.Contains(".AddStepExecutor<T>()", ex.Message, StringComparison.Ordinal);

        // A host sees the same at start.
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
    }

    [Fact]
    public void WithoutBuiltInStepExecutors_EveryKindCovered_Resolves()
    {
        var services = Services(new ScriptedModel(_ => new ModelReply("unused")));
        services.AddPlansmith().WithoutBuiltInStepExecutors().AddStepExecutor<TakesEverything>();
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<PlanningAgent>());
    }

    public sealed class TakesEverything : IStepExecutor
    {
        public bool CanExecute(PlanStep planStep) => true;

        public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(new StepOutput("done"));
    }
}
