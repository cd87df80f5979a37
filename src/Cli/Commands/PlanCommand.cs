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
        var goal = new GoalInput();
        var format = new Option<string>("--format") { Description = "tree (default), json (the plan contract) or mermaid.", DefaultValueFactory = _ => "tree" };
        format.AcceptOnlyFromAmong("tree", "json", "mermaid");
        var agentOptions = new AgentOptions();
        var limits = new RunLimitOptions();
        var command = new Command("plan", Help.WithExamples(
            "Make and review a plan for a goal, and print it without running it.",
            "plansmith plan --corpus docs \"Compare retries and fallbacks\"",
            "plansmith plan --format json \"Summarise the README\" > plan.json",
            "plansmith plan --format mermaid --goal-file goal.txt")) { format };
        goal.AddTo(command);
        agentOptions.AddTo(command);
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var goalText = await goal.ReadAsync(parse, console, "plan", cancellationToken);
            using var host = CliRun.Host(console, agentOptions.Read(parse));
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var options = limits.Apply(parse, host.Options);
            using var agent = host.CreateAgent(options, record: false);
            try
            {
                var result = await agent.PlanAsync(goalText, options, cancellationToken: cancellationToken);
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
            catch (BudgetExceededException ex)
            {
                await console.Error.WriteLineAsync($"error: planning stopped: {ex.Message}. Raise the limit under Plansmith:Budget in the settings file, or shorten the goal.");
                return CliApp.RunFailed;
            }
        });
        return command;
    }
}
