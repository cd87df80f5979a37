using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Hosting;

/// <summary>
/// Fails loudly, naming the fix, when the builder's wiring cannot run a plan: a kind of step that
/// no executor takes. (An agent without a run store is valid: it records nothing, and
/// <c>ResumeAsync</c> says how to give it one.)
/// </summary>
internal sealed class PlansmithWiringValidator : IValidateOptions<PlansmithWiring>
{
    /// <summary>One step of each kind the planner may write, to ask the executors about.</summary>
    private static readonly (string Kind, PlanStep Step)[] Probes =
    [
        ("tool steps (\"tool\": \"plugin.function\")", new PlanStep { Id = "probe", Description = "probe", Tool = "plugin.function" }),
        ("model steps (an action without a tool)", new PlanStep { Id = "probe", Description = "probe" }),
        ("verify steps", new PlanStep { Id = "probe", Description = "probe", Kind = StepKind.Verify }),
        ("subgoal steps", new PlanStep { Id = "probe", Description = "probe", Kind = StepKind.Subgoal }),
    ];

    private readonly IServiceProvider _services;

    public PlansmithWiringValidator(IServiceProvider services)
    {
        _services = services;
    }

    public ValidateOptionsResult Validate(string? name, PlansmithWiring options)
    {
        if (options.BuiltInStepExecutors)
        {
            return ValidateOptionsResult.Success;
        }

        var executors = _services.GetServices<IStepExecutor>().ToList();
        var uncovered = Probes.Where(p => !executors.Any(e => e.CanExecute(p.Step))).Select(p => p.Kind).ToList();
        return uncovered.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"No step executor takes {string.Join(", ", uncovered)}: .WithoutBuiltInStepExecutors() removed the built-in ones. " +
                "Add executors that take them with .AddStepExecutor<T>(), or keep the built-in executors.");
    }
}
