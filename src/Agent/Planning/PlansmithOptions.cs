using System.ComponentModel.DataAnnotations;
using Plansmith.Agent.Agents;
using Plansmith.Agent.Execution;

namespace Plansmith.Agent.Planning;

/// <summary>Everything that shapes a Plansmith run. Every limit is finite; defaults are documented on each.</summary>
public sealed class PlansmithOptions
{
    /// <summary>How steps are scheduled, retried and timed out.</summary>
    public PlanExecutorOptions Execution { get; set; } = new();

    /// <summary>Limits on model calls, tokens and time for one run.</summary>
    public RunBudget Budget { get; set; } = new();

    /// <summary>The most steps in one plan (and in a merged plan after a replan). Default 20.</summary>
    [Range(1, 1_000)]
    public int MaxSteps { get; set; } = 20;

    /// <summary>Times the planner may answer before a plan that passes validation is given up on. Default 3.</summary>
    [Range(1, 10)]
    public int MaxPlanAttempts { get; set; } = 3;

    /// <summary>Rounds of critique before a plan runs; 0 skips reflection. Default 1.</summary>
    [Range(0, 10)]
    public int MaxReflectionRounds { get; set; } = 1;

    /// <summary>Revised plans after failures in one run; 0 turns adaptive planning off. Default 2.</summary>
    [Range(0, 20)]
    public int MaxReplans { get; set; } = 2;

    /// <summary>Levels of subgoal expansion; 0 does subgoals as single model steps. Default 1.</summary>
    [Range(0, 5)]
    public int MaxDepth { get; set; } = 1;

    /// <summary>The most steps in a child plan. Default 5.</summary>
    [Range(2, 50)]
    public int MaxChildSteps { get; set; } = 5;

    /// <summary>Tool calls one model-performed step may make. Default 8.</summary>
    [Range(0, 128)]
    public int MaxToolCallsPerStep { get; set; } = 8;

    /// <summary>Whether to ask the router first, so that simple requests are answered without a plan. Default true.</summary>
    public bool UseRouter { get; set; } = true;

    /// <summary>
    /// Which steps may start while the plan is still being written, reflected on or approved:
    /// none, read-only (tool steps whose tool is idempotent; the default) or all. An early result
    /// is kept only when the final, approved plan holds the same step.
    /// </summary>
    public SpeculationMode Speculation { get; set; } = SpeculationMode.ReadOnly;

    /// <summary>
    /// With the router on, whether the planner starts writing the plan while the router decides
    /// (default true): a goal that needs a plan then waits for no routing round trip, and a simple
    /// request pays for a plan call that is cancelled when the router answers.
    /// </summary>
    public bool PlanWhileRouting { get; set; } = true;

    /// <summary>Characters of one step's output put into a prompt; longer outputs are cut and say so. Default 6,000.</summary>
    [Range(100, 1_000_000)]
    public int MaxOutputCharsInPrompt { get; set; } = 6_000;

    /// <summary>
    /// The longest answer kept, in characters (default 200,000). A longer reply is cut there,
    /// reading stops, and the run is not reported as completed.
    /// </summary>
    [Range(1_000, 10_000_000)]
    public int MaxAnswerChars { get; set; } = 200_000;

    /// <summary>Named agent profiles that steps can be assigned to.</summary>
    public IDictionary<string, AgentProfile> Agents { get; set; } = new Dictionary<string, AgentProfile>(StringComparer.OrdinalIgnoreCase);

    /// <summary>A folder of prompt directories that replace the built-in prompts, or null.</summary>
    public string? PromptsDirectory { get; set; }

    /// <summary>
    /// Facts about the host recorded with every run and returned with the stored run (never a
    /// secret): the console app records the model and tool folders it set up, so that
    /// <c>resume</c> can set up the same ones.
    /// </summary>
    public IDictionary<string, string> RunMetadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Applies a preset: linear, DAG, hierarchical or adaptive.</summary>
    public PlansmithOptions UseMode(PlanningMode mode)
    {
        switch (mode)
        {
            case PlanningMode.Linear:
                Execution.MaxParallelism = 1;
                break;
            case PlanningMode.Dag:
                Execution.MaxParallelism = Math.Max(Execution.MaxParallelism, 4);
                break;
            case PlanningMode.Hierarchical:
                MaxDepth = Math.Max(MaxDepth, 2);
                break;
            case PlanningMode.Adaptive:
                MaxReplans = Math.Max(MaxReplans, 2);
                break;
        }

        return this;
    }

    /// <summary>Every invalid setting, with its name; empty when all are valid.</summary>
    public IReadOnlyList<string> Check()
    {
        var errors = new List<string>();
        Collect(this, errors);
        Collect(Execution, errors);
        Collect(Budget, errors);
        foreach (var (name, profile) in Agents)
        {
            if (string.IsNullOrWhiteSpace(name) || !Plans.StepReferences.IsValidId(name))
            {
                errors.Add($"Agent name '{name}' may hold only letters, digits, '_' and '-'.");
            }

            if (profile is null)
            {
                errors.Add($"Agent '{name}' has no settings.");
            }
        }

        return errors;
    }

    /// <summary>Throws when a setting is invalid.</summary>
    /// <exception cref="ArgumentException">Names every invalid setting.</exception>
    public void Validate()
    {
        var errors = Check();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Plansmith options: " + string.Join(" ", errors), "options");
        }
    }

    private static void Collect(object target, List<string> errors)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(target, new ValidationContext(target), results, validateAllProperties: true);
        errors.AddRange(results.Select(r => r.ErrorMessage ?? "invalid value"));
    }
}
