using System.CommandLine;
using Microsoft.Extensions.AI;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Cli.Rendering;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary>
/// <c>plansmith chat</c>: an interactive session. Each message is routed: simple ones are
/// answered at once; for the rest the plan is shown and the person approves, edits or rejects it.
/// The conversation carries over between turns. Prompt files reload by themselves when changed.
/// </summary>
internal static class ChatCommand
{
    private const int TurnsRemembered = 6;

    private const string Help = """
        Type a message and press Enter. Simple messages are answered at once; for the rest you see the plan and answer y (run), n (reject) or e (edit: drop ID, describe ID TEXT, run).
          /plan GOAL       make and show a plan without running it
          /run GOAL        plan and run GOAL (no routing)
          /mode MODE       linear, dag, hierarchical or adaptive
          /prompts reload  reload the prompt files now
          /history         the conversation so far
          /help            this text
          /exit            leave
        """;

    public static Command Create(CliConsole console)
    {
        var agentOptions = new AgentOptions();
        var limits = new RunLimitOptions();
        var command = new Command("chat", Plansmith.Cli.Commands.Help.WithExamples(
            "Talk with the agent: simple messages are answered at once, plans are shown for approval before they run.",
            "plansmith chat --corpus docs",
            "plansmith chat --endpoint http://localhost:11434/v1 --model llama3.1",
            "plansmith chat --prompts my-prompts   (prompt edits reload by themselves)"));
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
            var approver = new ConsoleApprover(console.In, console.Out);
            using var agent = host.CreateAgent(options, approver);
            var history = new List<(string User, string Answer)>();
            await console.Out.WriteLineAsync($"Plansmith chat · model: {host.Provider}. /help for commands, /exit to leave.");
            while (!cancellationToken.IsCancellationRequested)
            {
                await console.Out.WriteLineAsync();
                await console.Out.WriteAsync("> ");
                var line = await Setup.ConsoleInput.ReadLineAsync(console.In, cancellationToken);
                if (line is null)
                {
                    break;
                }

                line = line.Trim();
                if (line.Length == 0)
                {
                    continue;
                }

                if (line.StartsWith('/'))
                {
                    var (verb, rest) = Split(line);
                    switch (verb)
                    {
                        case "/exit" or "/quit":
                            return CliApp.Ok;
                        case "/help":
                            await console.Out.WriteLineAsync(Help);
                            break;
                        case "/history":
                            foreach (var (user, answer) in history)
                            {
                                await console.Out.WriteLineAsync($"you: {user}\nplansmith: {answer}\n");
                            }

                            if (history.Count == 0)
                            {
                                await console.Out.WriteLineAsync("(nothing yet)");
                            }

                            break;
                        case "/mode" when Enum.TryParse<PlanningMode>(rest, ignoreCase: true, out var mode):
                            options.UseMode(mode);
                            await console.Out.WriteLineAsync($"Mode: {mode} (parallelism {options.Execution.MaxParallelism}, depth {options.MaxDepth}, replans {options.MaxReplans}).");
                            break;
                        case "/mode":
                            await console.Out.WriteLineAsync("Modes: linear, dag, hierarchical, adaptive.");
                            break;
                        case "/prompts" when rest == "reload":
                            var reload = host.Prompts.Reload();
                            await console.Out.WriteLineAsync(reload.Succeeded ? "Prompts reloaded." : "Reload failed; the last good prompts stay in use:\n- " + string.Join("\n- ", reload.Problems));
                            break;
                        case "/plan" when rest.Length > 0:
                            try
                            {
                                var planned = await agent.PlanAsync(rest, new RunOptions { Settings = options, Conversation = Context(history) }, cancellationToken);
                                await console.Out.WriteLineAsync(PlanRendering.Tree(planned.Plan));
                            }
                            catch (PlanningFailedException ex)
                            {
                                await console.Out.WriteLineAsync("No plan: " + ex.Message);
                            }

                            break;
                        case "/run" when rest.Length > 0:
                            var forced = Clone(options);
                            forced.UseRouter = false;
                            history.Add((rest, await TurnAsync(agent, approver, rest, forced, history, console, cancellationToken)));
                            break;
                        default:
                            await console.Out.WriteLineAsync($"Unknown command '{line}'. /help lists the commands.");
                            break;
                    }

                    continue;
                }

                history.Add((line, await TurnAsync(agent, approver, line, options, history, console, cancellationToken)));
            }

            return cancellationToken.IsCancellationRequested ? CliApp.Cancelled : CliApp.Ok;
        });
        return command;
    }

    private static async Task<string> TurnAsync(PlanningAgent agent, ConsoleApprover approver, string message, PlansmithOptions options, List<(string User, string Answer)> history, CliConsole console, CancellationToken cancellationToken)
    {
        var answer = new AnswerStream(console.Out, console.Error, blankLineFirst: true);
        var result = await CliRun.RunAsync(agent, message, options, Context(history), console with { IsTerminal = false }, silent: false, answer, approver, cancellationToken);
        var reply = result.Status switch
        {
            AgentRunStatus.Rejected when result.RejectedByApprover => "(plan rejected; nothing was run)",
            AgentRunStatus.Rejected => "(no plan: " + result.Error + ")",
            AgentRunStatus.Cancelled => "(cancelled)",
            _ => null,
        };
        if (reply is null)
        {
            // The answer was printed as it was written; this ends it (or prints it whole if it was not streamed).
            await answer.FinishAsync(result.Answer);
            return result.Answer;
        }

        await console.Out.WriteLineAsync();
        await console.Out.WriteLineAsync(reply);
        return reply;
    }

    /// <summary>The last turns of the conversation, for the planner.</summary>
    private static List<ChatMessage> Context(List<(string User, string Answer)> history)
    {
        var messages = new List<ChatMessage>();
        foreach (var (user, answer) in history.TakeLast(TurnsRemembered))
        {
            messages.Add(new ChatMessage(ChatRole.User, user));
            messages.Add(new ChatMessage(ChatRole.Assistant, answer.Length > 600 ? answer[..600] + "…" : answer));
        }

        return messages;
    }

    private static (string Verb, string Argument) Split(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (line.ToLowerInvariant(), string.Empty) : (line[..space].ToLowerInvariant(), line[(space + 1)..].Trim());
    }

    private static PlansmithOptions Clone(PlansmithOptions options)
    {
        var clone = new PlansmithOptions
        {
            Execution = options.Execution,
            Budget = options.Budget,
            MaxSteps = options.MaxSteps,
            MaxPlanAttempts = options.MaxPlanAttempts,
            MaxReflectionRounds = options.MaxReflectionRounds,
            MaxReplans = options.MaxReplans,
            MaxDepth = options.MaxDepth,
            MaxChildSteps = options.MaxChildSteps,
            MaxToolCallsPerStep = options.MaxToolCallsPerStep,
            UseRouter = options.UseRouter,
            Speculation = options.Speculation,
            PlanWhileRouting = options.PlanWhileRouting,
            MaxOutputCharsInPrompt = options.MaxOutputCharsInPrompt,
            Agents = options.Agents,
            PromptsDirectory = options.PromptsDirectory,
            MaxAnswerChars = options.MaxAnswerChars,
        };

        // The setup recorded with each run, so that 'resume' of a chat turn reuses its model and tools.
        foreach (var (key, value) in options.RunMetadata)
        {
            clone.RunMetadata[key] = value;
        }

        return clone;
    }
}
