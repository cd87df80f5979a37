using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Hosting;

/// <summary>Adds Plansmith to an application's services, next to the host's own <see cref="Kernel"/>.</summary>
public static class PlansmithServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PlanningAgent"/> (transient) and what it is made from: the options, the
    /// prompt library, the plan approver (approve all unless the host registers its own
    /// <see cref="IPlanApprover"/>) and, when the host chooses one on the returned builder, the run
    /// store. The host registers the <see cref="Kernel"/> and its chat service as usual
    /// (<c>services.AddKernel()</c>…); Plansmith uses them as they are and adds no chat service.
    /// Options are validated at start-up under a generic host, and when first resolved otherwise.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the defaults, or null.</param>
    /// <returns>A builder to choose the run store and the approver with; callers may ignore it.</returns>
    public static PlansmithBuilder AddPlansmith(this IServiceCollection services, Action<PlansmithOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PlansmithOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlansmithOptions>, PlansmithOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPlanApprover, AutoApprover>();
        services.TryAddSingleton(sp => new PromptLibrary(
            new PromptLibraryOptions { Directory = Options(sp).PromptsDirectory },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.AddOptions<PlansmithWiring>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlansmithWiring>, PlansmithWiringValidator>());
        services.TryAddTransient(sp =>
        {
            var kernel = sp.GetService<Kernel>() ?? throw new InvalidOperationException(
                "PlanningAgent needs a Semantic Kernel Kernel in the services, and there is none: call services.AddKernel() " +
                "and add a chat service to it (e.g. .AddOpenAIChatCompletion(…)) next to services.AddPlansmith().");
            var options = Options(sp);
            var wiring = sp.GetRequiredService<IOptions<PlansmithWiring>>().Value;
            return new PlanningAgent(kernel, options, new PlanningAgentServices
            {
                Prompts = sp.GetRequiredService<PromptLibrary>(),
                Approver = sp.GetRequiredService<IPlanApprover>(),
                RunStore = sp.GetService<IRunStore>(),
                Planner = sp.GetService<IPlanner>(),
                Router = sp.GetService<IRouter>(),
                Synthesizer = sp.GetService<ISynthesizer>(),
                StepExecutors = [.. sp.GetServices<IStepExecutor>()],
                BuiltInStepExecutors = wiring.BuiltInStepExecutors,
                TimeProvider = sp.GetRequiredService<TimeProvider>(),
                LoggerFactory = sp.GetService<ILoggerFactory>(),
            });
        });
        return new PlansmithBuilder(services);
    }

    /// <summary>
    /// Adds Plansmith with settings the caller already holds (bound from its own configuration, say).
    /// They are validated when the agent is made; the builder works as with the other overload.
    /// </summary>
    public static PlansmithBuilder AddPlansmith(this IServiceCollection services, PlansmithOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.RemoveAll<IOptions<PlansmithOptions>>();
        services.AddSingleton(Microsoft.Extensions.Options.Options.Create(options));
        return services.AddPlansmith();
    }

    private static PlansmithOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<PlansmithOptions>>().Value;

    private sealed class PlansmithOptionsValidator : IValidateOptions<PlansmithOptions>
    {
        public ValidateOptionsResult Validate(string? name, PlansmithOptions options)
        {
            var errors = options.Check();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
