using System.CommandLine;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;

namespace Plansmith.Cli.Commands;

/// <summary>Options shared by the commands that set up a kernel or read a plan.</summary>
internal static class CommonOptions
{
    public static Option<int> MaxSteps() => new("--max-steps")
    {
        Description = "The most steps a plan may have.",
        DefaultValueFactory = _ => new PlanValidationOptions().MaxSteps,
    };

    public static Argument<FileInfo> PlanFile() => new("plan")
    {
        Description = "A plan in the Plansmith JSON contract (see docs/plan-contract.md).",
    };

    /// <summary>Reads and validates a plan file, or writes every problem and returns null.</summary>
    public static async Task<Plan?> LoadPlanAsync(FileInfo file, Kernel kernel, int maxSteps, IReadOnlyCollection<string>? agents, CliConsole console, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await InputFiles.ReadFileAsync(file.FullName, "plan file", "Give a plan file in the Plansmith JSON contract (see docs/plan-contract.md).", PlanJson.MaxTextLength, cancellationToken);
        }
        catch (Setup.CliSetupException ex)
        {
            await console.Error.WriteLineAsync("error: " + ex.Message);
            return null;
        }

        if (text.Length > PlanJson.MaxTextLength)
        {
            await console.Error.WriteLineAsync($"error: the plan file '{file.FullName}' has more than {PlanJson.MaxTextLength:N0} characters, the most a plan may have. Write a shorter plan: fewer steps, shorter descriptions, subgoal steps for large parts.");
            return null;
        }

        try
        {
            var plan = PlanReader.Parse(text);
            new PlanValidator(new PlanValidationOptions { MaxSteps = maxSteps }).Validate(plan, kernel.Plugins, agents);
            return plan;
        }
        catch (PlanRejectedException ex)
        {
            await console.Error.WriteLineAsync($"error: {file.Name}: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The steps <c>plansmith execute</c> cannot run, each with why: it calls tools directly and
    /// has no model, so model steps, verify steps, subgoals and tool-less fallbacks need <c>plansmith run</c>.
    /// </summary>
    public static List<string> NeedsModel(Plan plan)
    {
        var problems = new List<string>();
        foreach (var step in plan.Steps)
        {
            var why = step.Kind switch
            {
                StepKind.Verify => "a verify step (a model judges it)",
                StepKind.Subgoal => "a subgoal (a model expands it into a plan)",
                StepKind.Collect => null,
                _ when step.Tool is null => "a model step (it has no tool)",
                _ when step.Fallback is { Tool: null } => "its fallback has no tool (a model would do it)",
                _ => null,
            };
            if (why is not null)
            {
                problems.Add($"{step.Id}: {why}");
            }
        }

        return problems;
    }

    /// <summary>Checks that an option value is at least <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum}.");
            }
        });
        return option;
    }
}
