using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Wires the parts of Plansmith a host chooses: returned by
/// <see cref="PlansmithServiceCollectionExtensions.AddPlansmith"/>, its methods chain
/// (<c>services.AddPlansmith(…).UseSqliteRunStore("runs.db")</c>). Each <c>Use…</c> of the same
/// part replaces the one before; the <see cref="PlanningAgent"/> resolved afterwards uses the last.
/// </summary>
public sealed class PlansmithBuilder
{
    internal PlansmithBuilder(IServiceCollection services)
    {
        Services = services;
    }

    /// <summary>The application's services, for registrations this builder has no method for.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Records runs in a SQLite file, so that they can be listed (<see cref="IRunStore.ListRunsAsync"/>)
    /// and resumed (<see cref="PlanningAgent.ResumeAsync"/>), also by a later process over the same file.
    /// The store is one singleton <see cref="IRunStore"/>, opened (and created if need be) when first resolved.
    /// </summary>
    /// <param name="path">The SQLite file; relative paths are resolved against the current directory when the store is opened.</param>
    /// <param name="configure">Changes to the store's settings, or null. The settings are ordinary options
    /// (<c>services.Configure&lt;SqliteRunStoreOptions&gt;(…)</c> binds them from configuration too) and are validated at start-up.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public PlansmithBuilder UseSqliteRunStore(string path, Action<SqliteRunStoreOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var options = Services.AddOptions<SqliteRunStoreOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteRunStoreOptions>, SqliteRunStoreOptionsValidator>());
        return UseRunStore(sp => new SqliteRunStore(
            path,
            sp.GetRequiredService<IOptions<SqliteRunStoreOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
    }

    /// <summary>
    /// Records runs in a store of the host's own: the singleton <typeparamref name="TStore"/> the host
    /// registered, or else one the container creates (its constructor's parameters resolved from the services).
    /// </summary>
    /// <typeparam name="TStore">The store's type.</typeparam>
    public PlansmithBuilder UseRunStore<TStore>()
        where TStore : class, IRunStore
    {
        Services.TryAddSingleton<TStore>();
        return UseRunStore(sp => sp.GetRequiredService<TStore>());
    }

    /// <summary>Records runs in a store of the host's own, made once (a singleton) by <paramref name="factory"/>.</summary>
    /// <param name="factory">Makes the store from the services.</param>
    public PlansmithBuilder UseRunStore(Func<IServiceProvider, IRunStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.RemoveAll<IRunStore>();
        Services.AddSingleton(factory);
        return this;
    }

    /// <summary>
    /// Asks <typeparamref name="TApprover"/> to approve, edit or reject each plan before it runs,
    /// instead of approving every plan (<see cref="AutoApprover"/>).
    /// </summary>
    /// <typeparam name="TApprover">The approver, created by the container as a singleton.</typeparam>
    public PlansmithBuilder UsePlanApprover<TApprover>()
        where TApprover : class, IPlanApprover
    {
        Services.RemoveAll<IPlanApprover>();
        Services.AddSingleton<IPlanApprover, TApprover>();
        return this;
    }

    private sealed class SqliteRunStoreOptionsValidator : IValidateOptions<SqliteRunStoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, SqliteRunStoreOptions options)
        {
            var problems = options.Check();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
