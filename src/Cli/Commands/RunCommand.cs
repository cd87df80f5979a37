using System.CommandLine;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Cli.Rendering;
using Plansmith.Cli.Setup;
using Spectre.Console;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith run "goal"</c>: plan, review, (approve,) execute, answer.</summary>
internal static class RunCommand
{
    public static Command Create(CliConsole console)
    {
        var goal = new GoalInput();
        var agentOptions = new AgentOptions();
        var limits = new RunLimitOptions();
        var approve = new Option<bool>("--approve") { Description = "Show the plan and ask before running it (approve, edit or reject)." };
        var json = new Option<bool>("--json") { Description = "Print the run result as JSON (plan, each step's status, output and times, the answer, token usage)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the answer (and, on standard error, why a run is partial or failed)." };
        var command = new Command("run", Help.WithExamples(
            "Plan a goal, run the plan and print the answer.",
            "plansmith run --corpus docs \"Compare retries and fallbacks\"",
            "plansmith run --mode adaptive --max-replans 3 \"Summarise the open issues\"",
            "plansmith run --endpoint http://localhost:11434/v1 --model llama3.1 \"Explain the plan contract\"",
            "plansmith run --goal-file goal.txt --json > result.json",
            "echo \"Compare A and B\" | plansmith run -")) { approve, json, quiet };
        goal.AddTo(command);
        agentOptions.AddTo(command);
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var text = await goal.ReadAsync(parse, console, "run", cancellationToken);
            using var host = CliRun.Host(console, agentOptions.Read(parse));
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var options = limits.Apply(parse, host.Options);
            var asJson = parse.GetValue(json);
            var silent = asJson || parse.GetValue(quiet);
            if (!silent)
            {
                await console.Error.WriteLineAsync($"Plansmith · model: {host.Provider}");
            }

            // With --json standard output is for the JSON alone: the plan and the question go to standard error.
            var approver = parse.GetValue(approve) ? new ConsoleApprover(console.In, asJson ? console.Error : console.Out) : null;
            using var agent = host.CreateAgent(options, approver);
            var answer = asJson ? null : new AnswerStream(console.Out, console.Error, blankLineFirst: !silent);
            var result = await CliRun.RunAsync(agent, text, options, null, console, silent, answer, approver, cancellationToken);
            if (asJson)
            {
                await console.Out.WriteLineAsync(AgentRunResultJson.Serialize(result));
            }
            else
            {
                await CliRun.PrintAnswerAsync(console, result, parse.GetValue(quiet), answer);
            }

            return CliRun.ExitCode(result);
        });
        return command;
    }
}

/// <summary>Limits and presets a run can take from the command line.</summary>
internal sealed class RunLimitOptions
{
    public Option<string?> Mode { get; } = new("--mode") { Description = "A preset: linear, dag, hierarchical or adaptive." };

    // Ranges come from the options' [Range] attributes, so help says what the options accept.
    public Option<int?> MaxParallel { get; } = Numbers.WholeNumber<PlanExecutorOptions>("--max-parallel", "Steps running at once (1 = linear).", nameof(PlanExecutorOptions.MaxParallelism));

    public Option<int?> MaxDepth { get; } = Numbers.WholeNumber<PlansmithOptions>("--max-depth", "Levels of subgoal expansion (0 = none).", nameof(PlansmithOptions.MaxDepth));

    public Option<int?> MaxReplans { get; } = Numbers.WholeNumber<PlansmithOptions>("--max-replans", "Revised plans after failures (0 = none).", nameof(PlansmithOptions.MaxReplans));

    public Option<int?> MaxSteps { get; } = Numbers.WholeNumber<PlansmithOptions>("--max-steps", "Steps in one plan.", nameof(PlansmithOptions.MaxSteps));

    public void AddTo(Command command)
    {
        // Not AcceptOnlyFromAmong: its message does not name the option.
        Mode.Validators.Add(result =>
        {
            var value = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            if (!Enum.TryParse<PlanningMode>(value, ignoreCase: true, out _) || !value.All(char.IsLetter))
            {
                result.AddError($"--mode takes linear, dag, hierarchical or adaptive; '{value}' is not one.");
            }
        });
        foreach (var option in new Option[] { Mode, MaxParallel, MaxDepth, MaxReplans, MaxSteps })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The host's options with the command line's changes; invalid values become a usage error.</summary>
    public PlansmithOptions Apply(ParseResult parse, PlansmithOptions options)
    {
        if (parse.GetValue(Mode) is { } mode)
        {
            options.UseMode(Enum.Parse<PlanningMode>(mode, ignoreCase: true));
        }

        options.Execution.MaxParallelism = parse.GetValue(MaxParallel) ?? options.Execution.MaxParallelism;
        options.MaxDepth = parse.GetValue(MaxDepth) ?? options.MaxDepth;
        options.MaxReplans = parse.GetValue(MaxReplans) ?? options.MaxReplans;
        options.MaxSteps = parse.GetValue(MaxSteps) ?? options.MaxSteps;
        var problems = options.Check();
        if (problems.Count > 0)
        {
            throw new CliSetupException("invalid settings: " + string.Join(" ", problems) + " Fix them in the settings file (section Plansmith) or the environment.");
        }

        return options;
    }
}

/// <summary>What run, chat and plan share: setting up, showing progress, printing, exit codes.</summary>
internal static class CliRun
{
    public static AgentHost? Host(CliConsole console, AgentSettings settings, bool needsModel = true, bool announceOffline = true)
    {
        try
        {
            return AgentHost.Create(settings, console.Error, needsModel, announceOffline);
        }
        catch (CliSetupException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return null;
        }
    }

    /// <summary>Runs a goal showing its progress (unless <paramref name="silent"/>) and streaming its answer into <paramref name="answer"/>.</summary>
    public static async Task<AgentRunResult> RunAsync(PlanningAgent agent, string goal, PlansmithOptions options, IList<Microsoft.Extensions.AI.ChatMessage>? conversation, CliConsole console, bool silent, AnswerStream? answer, ConsoleApprover? approver, CancellationToken cancellationToken)
    {
        using var progress = silent ? null : Progress(console);
        if (approver is not null)
        {
            approver.Progress = progress;
        }

        return (await ShowAsync(agent.RunStreamingAsync(goal, new RunOptions { Settings = options, Conversation = conversation ?? [] }, cancellationToken), progress, answer))!;
    }

    /// <summary>
    /// Shows a run's events as they come: progress on the display, the answer's pieces on standard
    /// output as the model writes them (the display stops first, so the answer is printed below it).
    /// Returns the run's result, from its last event.
    /// </summary>
    public static async Task<AgentRunResult?> ShowAsync(IAsyncEnumerable<ExecutionEvent> events, IAgentProgress? progress, AnswerStream? answer, Func<ExecutionEvent, Task>? onEvent = null)
    {
        AgentRunResult? result = null;
        await foreach (var e in events.WithCancellation(CancellationToken.None))
        {
            if (onEvent is not null)
            {
                await onEvent(e);
            }

            progress?.Render(e);
            switch (e)
            {
                case AnswerDelta delta when answer is not null:
                    if (!answer.Started)
                    {
                        progress?.Stop();
                    }

                    await answer.WriteAsync(delta.Text);
                    break;
                case RunCompleted completed:
                    result = completed.Result;
                    break;
            }
        }

        return result;
    }

    public static IAgentProgress Progress(CliConsole console) =>
        console.IsTerminal ? new LiveAgentProgress(AnsiConsole.Console) : new PlainAgentProgress(console.Out);

    /// <summary>
    /// Ends the answer (streamed already, or printed whole now), then the reason a run is partial or
    /// failed and the summary line on standard error. The reason is printed even when
    /// <paramref name="quiet"/>: standard output then holds the answer alone, and a partial answer
    /// must not pass for a whole one.
    /// </summary>
    public static async Task PrintAnswerAsync(CliConsole console, AgentRunResult result, bool quiet, AnswerStream? answer = null)
    {
        answer ??= new AnswerStream(console.Out, console.Error, blankLineFirst: !quiet);
        await answer.FinishAsync(result.Answer);

        if (result.Error is not null)
        {
            await console.Error.WriteLineAsync($"{result.Status}: {result.Error}");
        }

        if (!quiet)
        {
            var recorded = result.RunId is null ? string.Empty : $" · run {result.RunId}";
            await console.Error.WriteLineAsync($"{result.Status} in {result.Duration.TotalSeconds:0.0} s · {result.Usage.ModelCalls} model calls · {result.Usage.TotalTokens} tokens{recorded}");
        }
    }

    public static int ExitCode(AgentRunResult result) => result.Status switch
    {
        AgentRunStatus.Completed or AgentRunStatus.Answered => CliApp.Ok,
        AgentRunStatus.Cancelled => CliApp.Cancelled,
        _ => CliApp.RunFailed,
    };
}
