using System.CommandLine;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary>
/// Where a command's goal comes from: the argument, <c>--goal-file PATH</c>, or standard input
/// with <c>--goal-file -</c> (or a goal of <c>-</c>). Goals too long for a command line work from
/// a file; <c>@FILE</c> also expands a file of arguments, one per line.
/// </summary>
internal sealed class GoalInput
{
    /// <summary>Goals longer than this are refused: a runaway file, not a request. 1,000,000 characters.</summary>
    public const int MaxLength = 1_000_000;

    public Argument<string?> Goal { get; } = new("goal")
    {
        Description = "What you want done, in quotes. '-' reads it from standard input.",
        Arity = ArgumentArity.ZeroOrOne,
    };

    public Option<string?> GoalFile { get; } = new("--goal-file")
    {
        Description = "Read the goal from a file ('-' for standard input), for goals too long for a command line.",
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(Goal);
        command.Options.Add(GoalFile);
    }

    /// <summary>The goal, trimmed. Throws <see cref="CliSetupException"/> naming the cause and the fix.</summary>
    public async Task<string> ReadAsync(ParseResult parse, CliConsole console, string command, CancellationToken cancellationToken)
    {
        var argument = parse.GetValue(Goal);
        var file = parse.GetValue(GoalFile);
        if (argument is not null && file is not null)
        {
            throw new CliSetupException($"give the goal once: as an argument or with --goal-file, not both. Example: plansmith {command} --goal-file goal.txt");
        }

        string text;
        if (file is "-" || (file is null && argument == "-"))
        {
            text = await InputFiles.ReadBoundedAsync(console.In, MaxLength, cancellationToken);
        }
        else if (file is not null)
        {
            text = await InputFiles.ReadFileAsync(file, "goal file", "Give an existing file with --goal-file, or '-' to read standard input.", MaxLength, cancellationToken);
        }
        else
        {
            text = argument ?? string.Empty;
        }

        // Checked before trimming: a text cut at the bound may have more after its trailing blanks.
        var tooLong = text.Length > MaxLength;
        text = text.Trim();
        if (text.Length == 0 && !tooLong)
        {
            var where = file is not null ? $"The goal file '{file}' is empty" : argument is null ? "No goal was given" : "The goal is empty";
            throw new CliSetupException($"{where}. Say what you want done, e.g. plansmith {command} \"Compare retries and fallbacks\" (or --goal-file PATH, or '-' to read standard input).");
        }

        if (tooLong)
        {
            throw new CliSetupException($"the goal has more than {MaxLength:N0} characters; at most {MaxLength:N0} are accepted. Shorten it, or put the material in a folder and point --corpus or --root at it.");
        }

        return text;
    }
}
