using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Hosting;

/// <summary>Adds Plansmith to an application's services, next to the host's own <see cref="Kernel"/>.</summary>
public static class PlansmithServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PlanningAgent"/> and its parts: the prompt library, the plan approver
    /// (approve all unless the host registers its own <see cref="IPlanApprover"/>), the plan
    /// validator and the plan executor. The host registers the <see cref="Kernel"/> and its chat
    /// service as usual (<c>services.AddKernel()</c>…); Plansmith uses them as they are and adds no
    /// chat service. Options are validated at start-up under a generic host, and when first resolved otherwise.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configure">Changes to the defaults, or null.</param>
    public static IServiceCollection AddPlansmith(this IServiceCollection services, Action<PlansmithOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PlansmithOptions>()
            .Configure(o => configure?.Invoke(o))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PlansmithOptions>, PlansmithOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPlanApprover, AutoApprover>();
        services.TryAddSingleton(sp => new PromptLibrary(
            new PromptLibraryOptions { Directory = Options(sp).PromptsDirectory },
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepExecutor, ToolStepExecutor>());
        services.TryAddSingleton(sp => new PlanValidator(new PlanValidationOptions { MaxSteps = Options(sp).MaxSteps }));
        services.TryAddTransient(sp => new PlanExecutor(
            sp.GetRequiredService<Kernel>(),
            sp.GetServices<IStepExecutor>(),
            Options(sp).Execution,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PlanExecutor>>()));
        services.TryAddTransient(sp => new PlanningAgent(
            sp.GetRequiredService<Kernel>(),
            Options(sp),
            sp.GetRequiredService<PromptLibrary>(),
            sp.GetRequiredService<IPlanApprover>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        return services;
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
