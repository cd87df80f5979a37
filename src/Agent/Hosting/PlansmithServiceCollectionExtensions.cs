using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Hosting;

/// <summary>Adds Plansmith to an application's services, next to the host's own <see cref="Kernel"/>.</summary>
public static class PlansmithServiceCollectionExtensions
{
    /// <summary>
    /// Registers the plan validator, the plan executor and the tool step executor. The host
    /// registers the <see cref="Kernel"/> (and its chat service) as usual; Plansmith uses it as it is.
    /// Options are validated when first resolved, and at start-up under a generic host.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="configureExecution">Changes to the executor's defaults, or null.</param>
    /// <param name="configureValidation">Changes to the plan limits, or null.</param>
    public static IServiceCollection AddPlansmith(
        this IServiceCollection services,
        Action<PlanExecutorOptions>? configureExecution = null,
        Action<PlanValidationOptions>? configureValidation = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PlanExecutorOptions>()
            .Configure(o => configureExecution?.Invoke(o))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<PlanValidationOptions>()
            .Configure(o => configureValidation?.Invoke(o))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStepExecutor, ToolStepExecutor>());
        services.TryAddSingleton(sp => new PlanValidator(sp.GetRequiredService<IOptions<PlanValidationOptions>>().Value));
        services.TryAddTransient(sp => new PlanExecutor(
            sp.GetRequiredService<Kernel>(),
            sp.GetServices<IStepExecutor>(),
            sp.GetRequiredService<IOptions<PlanExecutorOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<PlanExecutor>>()));
        return services;
    }
}
