using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs.Store;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Wires the parts of Plansmith a host chooses: returned by
/// <c>services.AddPlansmith(…)</c>, its methods chain
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

    /// <summary>Records runs in this store, which the caller owns (it is not disposed with the services).</summary>
    public PlansmithBuilder UseRunStore(IRunStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        Services.RemoveAll<IRunStore>();
        Services.AddSingleton(store);
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

    /// <summary>Uses this approver (a console prompt, a web hook) for every plan.</summary>
    public PlansmithBuilder UsePlanApprover(IPlanApprover approver)
    {
        ArgumentNullException.ThrowIfNull(approver);
        Services.RemoveAll<IPlanApprover>();
        Services.AddSingleton(approver);
        return this;
    }

    /// <summary>Makes and mends plans with <typeparamref name="TPlanner"/> instead of the prompt-backed planner.</summary>
    public PlansmithBuilder UsePlanner<TPlanner>()
        where TPlanner : class, IPlanner
    {
        Services.RemoveAll<IPlanner>();
        Services.AddSingleton<IPlanner, TPlanner>();
        return this;
    }

    /// <summary>Decides whether a goal needs a plan with <typeparamref name="TRouter"/> instead of the prompt-backed router.</summary>
    public PlansmithBuilder UseRouter<TRouter>()
        where TRouter : class, IRouter
    {
        Services.RemoveAll<IRouter>();
        Services.AddSingleton<IRouter, TRouter>();
        return this;
    }

    /// <summary>Writes answers with <typeparamref name="TSynthesizer"/> instead of the prompt-backed synthesizer.</summary>
    public PlansmithBuilder UseSynthesizer<TSynthesizer>()
        where TSynthesizer : class, ISynthesizer
    {
        Services.RemoveAll<ISynthesizer>();
        Services.AddSingleton<ISynthesizer, TSynthesizer>();
        return this;
    }

    /// <summary>
    /// Adds a step executor, asked before the built-in ones (in the order added): the first whose
    /// <see cref="IStepExecutor.CanExecute"/> is true runs the step. Use it for a new kind of work
    /// (a step that names an agent profile served elsewhere, say) or to take over a kind.
    /// </summary>
    public PlansmithBuilder AddStepExecutor<TExecutor>()
        where TExecutor : class, IStepExecutor
    {
        Services.AddSingleton<IStepExecutor, TExecutor>();
        return this;
    }

    /// <summary>
    /// Runs steps only with the executors added by <see cref="AddStepExecutor{TExecutor}"/>: no
    /// tool, chat, verify or subgoal executor is built in. The agent then refuses to start unless
    /// every kind of step is covered.
    /// </summary>
    public PlansmithBuilder WithoutBuiltInStepExecutors()
    {
        Services.Configure<PlansmithWiring>(w => w.BuiltInStepExecutors = false);
        return this;
    }

    /// <summary>Uses these prompts (already loaded, and owned by the caller) instead of loading them from <see cref="PlansmithOptions.PromptsDirectory"/>.</summary>
    public PlansmithBuilder UsePromptLibrary(PromptLibrary prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        Services.RemoveAll<PromptLibrary>();
        Services.AddSingleton(prompts);
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
