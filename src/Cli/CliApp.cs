using System.CommandLine;
using Plansmith.Agent.Runs.Store;
using Plansmith.Cli.Commands;
using Plansmith.Cli.Rendering;

namespace Plansmith.Cli;

/// <summary>The <c>plansmith</c> command line: builds the commands and runs one.</summary>
internal static class CliApp
{
    /// <summary>Exit code of a run that completed.</summary>
    public const int Ok = 0;

    /// <summary>Exit code of a run that failed (a partial answer is still printed), or of a command the run store failed under.</summary>
    public const int RunFailed = 1;

    /// <summary>Exit code for a usage or configuration error, or a request the run store refused (unknown, finished or live run).</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of a cancelled run (as after Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>Exit code of a run cancelled by SIGTERM (128 + 15), as a service manager expects.</summary>
    public const int Terminated = 143;

    /// <summary>
    /// Tokens that look like options but that the command does not have. The parser would take
    /// them as the goal ("run --foo" would plan a goal called "--foo"); after <c>--</c> they are
    /// arguments, so a goal may still start with a dash.
    /// </summary>
    private static List<string> UnknownOptions(ParseResult parse)
    {
        var tokens = parse.Tokens;
        var end = tokens.Count;
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type == System.CommandLine.Parsing.TokenType.DoubleDash)
            {
                end = i;
                break;
            }
        }

        var problems = new List<string>();
        var command = parse.CommandResult.Command;
        var name = CommandPath(parse.CommandResult);

        // The "goal after --" hint helps only where a goal is taken.
        var takesGoal = command.Arguments.Any(a => a.Name == "goal");
        for (var i = 0; i < end; i++)
        {
            var token = tokens[i];
            if (token.Type == System.CommandLine.Parsing.TokenType.Argument && token.Value.Length > 1 && token.Value[0] == '-' && !double.TryParse(token.Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)
                && !IsOptionValue(command, tokens, i))
            {
                var hint = takesGoal ? $" (A goal that starts with '-' goes after '--': {name} -- \"{token.Value} …\")" : string.Empty;
                problems.Add($"'{token.Value}' is not an option of '{name}'. See '{name} --help' for its options.{hint}");
            }
        }

        foreach (var token in parse.UnmatchedTokens.Where(t => t.Length > 1 && t[0] == '-'))
        {
            var message = $"'{token}' is not an option of '{name}'. See '{name} --help' for its options.";
            if (!problems.Any(p => p.StartsWith($"'{token}'", StringComparison.Ordinal)))
            {
                problems.Add(message);
            }
        }

        return problems;
    }

    /// <summary>The command as typed from the root, e.g. "plansmith runs show".</summary>
    private static string CommandPath(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is System.CommandLine.Parsing.CommandResult { Command: not RootCommand } command)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        return string.Join(' ', names.Prepend("plansmith"));
    }

    /// <summary>
    /// Why an <c>@PATH</c> argument (a file of arguments) cannot be read, or null: the parser
    /// would read a folder, a device or a huge file as it pleases and fail outside any handler.
    /// </summary>
    internal static string? ArgumentFileProblem(string arg)
    {
        if (arg.Length < 2 || arg[0] != '@')
        {
            return null;
        }

        var path = arg[1..];
        string why;
        try
        {
            why = Commands.InputFiles.KindOf(path) switch
            {
                Commands.PathKind.Missing => "does not exist",
                Commands.PathKind.Folder => "is a folder, not a file",
                Commands.PathKind.RegularFile when new FileInfo(path).Length is var length && length > MaxArgumentFileBytes => $"is too large ({length:N0} bytes; at most 1 MiB)",
                Commands.PathKind.RegularFile => string.Empty,
                _ => "is not a regular file",
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            why = "cannot be read (" + ex.Message + ")";
        }

        return why.Length == 0 ? null : $"the argument file '{arg}' {why}. '@PATH' reads arguments from a regular file of at most 1 MiB, one per line; to pass a value that starts with '@', put it after '--'.";
    }

    /// <summary>Files of arguments (<c>@PATH</c>) larger than this are refused: 1 MiB.</summary>
    internal const long MaxArgumentFileBytes = 1024 * 1024;

    /// <summary>Whether the argument token at <paramref name="index"/> is the value of the option before it.</summary>
    private static bool IsOptionValue(Command command, IReadOnlyList<System.CommandLine.Parsing.Token> tokens, int index)
    {
        if (index == 0 || tokens[index - 1].Type != System.CommandLine.Parsing.TokenType.Option)
        {
            return false;
        }

        var flag = tokens[index - 1].Value;
        var option = command.Options.FirstOrDefault(o => o.Name == flag || o.Aliases.Contains(flag));
        return option is not null && option.ValueType != typeof(bool) && option.Arity.MaximumNumberOfValues > 0;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? input = null, CancellationToken cancellationToken = default)
    {
        var isTerminal = output == Console.Out && !Console.IsOutputRedirected && !Console.IsInputRedirected;

        // Everything a command prints passes through here: no raw control characters, no known key.
        output = SafeTextWriter.Wrap(output);
        error = SafeTextWriter.Wrap(error);
        var console = new CliConsole(output, error, input ?? Console.In, isTerminal);
        var root = new RootCommand("Plansmith — a planning agent for Semantic Kernel: plans a goal, runs the plan with your plugins, and answers.")
        {
            RunCommand.Create(console),
            PlanCommand.Create(console),
            ChatCommand.Create(console),
            RunsCommand.Resume(console),
            RunsCommand.Runs(console),
            ToolsCommand.Create(console),
            InvokeCommand.Create(console),
            PromptsCommand.Create(console),
            ValidateCommand.Create(console),
            ExecuteCommand.Create(console),
            EvalCommand.Create(console),
        };
        // Ctrl+C is handled in Program, which passes its token in.
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        // The parser expands @PATH itself and would read a folder, a device or a huge file as it pleases.
        var badFiles = args.TakeWhile(a => a != "--").Select(ArgumentFileProblem).OfType<string>().ToList();
        if (badFiles.Count > 0)
        {
            foreach (var problem in badFiles)
            {
                await error.WriteLineAsync("error: " + problem);
            }

            return BadInput;
        }

        ParseResult parse;
        try
        {
            parse = root.Parse(args);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            await error.WriteLineAsync($"error: the command line could not be read: {ex.Message} Check any '@PATH' argument file.");
            return BadInput;
        }

        var unknown = UnknownOptions(parse);
        if (parse.Errors.Count > 0 || unknown.Count > 0)
        {
            foreach (var problem in unknown)
            {
                await error.WriteLineAsync("error: " + problem);
            }

            foreach (var problem in parse.Errors.Where(e => unknown.Count == 0 || !e.Message.Contains("Unrecognized", StringComparison.Ordinal)))
            {
                await error.WriteLineAsync("error: " + problem.Message);
            }

            await error.WriteLineAsync("Run 'plansmith --help' (or 'plansmith COMMAND --help') for the commands and their options.");
            return BadInput;
        }

        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (Setup.CliSetupException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return BadInput;
        }
        catch (RunStoreException ex)
        {
            // Refused (unknown, finished or live run; not a store): nothing was done, exit 2.
            // Failed (read-only, full, damaged, deleted, lease lost): what was stored stays, exit 1.
            await error.WriteLineAsync("error: " + ex.Message);
            return ex.IsRefusal ? BadInput : RunFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync("Cancelled.");
            return Cancelled;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failure no command expected still ends with a message and an exit code, never a crash dump.
            await error.WriteLineAsync($"error: {ex.Message} ({ex.GetType().Name}). This is a failure Plansmith did not expect; run again with --verbose, and report it if it repeats.");
            return RunFailed;
        }
    }
}

/// <summary>Where commands read and write, and whether a person is at a terminal.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool IsTerminal);
