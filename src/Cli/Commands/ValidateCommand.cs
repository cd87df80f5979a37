using System.CommandLine;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith validate PLAN</c>: reads a plan and checks it against the tools.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var plan = CommonOptions.PlanFile();
        var root = CommonOptions.Root();
        var maxSteps = CommonOptions.MaxSteps().AtLeast(1);
        var command = new Command("validate", "Check a plan file: its shape, ids, dependencies, cycles, tools, arguments and references.")
        {
            plan, root, maxSteps,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var kernel = await CommonOptions.KernelForRootAsync(parse.GetRequiredValue(root), console);
            if (kernel is null)
            {
                return CliApp.BadInput;
            }

            var loaded = await CommonOptions.LoadPlanAsync(parse.GetRequiredValue(plan), kernel, parse.GetValue(maxSteps), console, cancellationToken);
            if (loaded is null)
            {
                return CliApp.BadInput;
            }

            await console.Out.WriteLineAsync($"The plan is valid: {loaded.Steps.Count} steps.");
            return CliApp.Ok;
        });
        return command;
    }
}
