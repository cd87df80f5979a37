using System.CommandLine;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Cli.Rendering;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith plan "goal"</c>: make and review a plan, print it, run nothing.</summary>
internal static class PlanCommand
{
    public static Command Create(CliConsole console)
    {
        var goal = new Argument<string>("goal") { Description = "What you want done." };
        var format = new Option<string>("--format") { Description = "tree (default), json (the plan contract) or mermaid.", DefaultValueFactory = _ => "tree" };
        format.AcceptOnlyFromAmong("tree", "json", "mermaid");
        var agentOptions = new AgentOptions();
        var limits = new RunLimitOptions();
        var command = new Command("plan", "Make and review a plan for a goal, and print it without running it.") { goal, format };
        agentOptions.AddTo(command);
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliRun.Host(console, agentOptions.Read(parse));
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var options = limits.Apply(parse, host.Options);
            using var agent = new PlanningAgent(host.Kernel, options, host.Prompts, loggerFactory: host.LoggerFactory);
            try
            {
                var result = await agent.PlanAsync(parse.GetRequiredValue(goal), options, cancellationToken: cancellationToken);
                var text = parse.GetValue(format) switch
                {
                    "json" => PlanJson.Serialize(result.Plan),
                    "mermaid" => PlanRendering.Mermaid(result.Plan),
                    _ => PlanRendering.Tree(result.Plan),
                };
                await console.Out.WriteLineAsync(text);
                return CliApp.Ok;
            }
            catch (PlanningFailedException ex)
            {
                await console.Error.WriteLineAsync("error: " + ex.Message);
                return CliApp.RunFailed;
            }
        });
        return command;
    }
}
