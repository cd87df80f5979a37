using System.CommandLine;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith validate PLAN</c>: reads a plan and checks it against the same tools and agents as <c>run</c>.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliConsole console)
    {
        var plan = CommonOptions.PlanFile();
        var maxSteps = CommonOptions.MaxSteps().AtLeast(1);
        var agentOptions = new AgentOptions();
        var command = new Command("validate", Help.WithExamples(
            "Check a plan file against the tools and agents 'run' would have: its shape, ids, dependencies, cycles, tools, arguments, agents and references; and say which steps 'execute' could not run.",
            "plansmith validate plan.json",
            "plansmith validate plan.json --corpus docs --max-steps 50"))
        {
            plan, maxSteps,
        };
        agentOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliRun.Host(console, agentOptions.Read(parse), needsModel: false);
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var loaded = await CommonOptions.LoadPlanAsync(parse.GetRequiredValue(plan), host.Kernel, parse.GetValue(maxSteps), [.. host.Options.Agents.Keys], console, cancellationToken);
            if (loaded is null)
            {
                return CliApp.BadInput;
            }

            await console.Out.WriteLineAsync($"The plan is valid: {loaded.Steps.Count} steps.");
            var needsModel = CommonOptions.NeedsModel(loaded);
            if (needsModel.Count > 0)
            {
                await console.Out.WriteLineAsync($"'plansmith run' can run it; 'plansmith execute' runs tool steps only and could not run {needsModel.Count} of them:");
                foreach (var line in needsModel)
                {
                    await console.Out.WriteLineAsync("  " + line);
                }
            }

            return CliApp.Ok;
        });
        return command;
    }
}
