using System.CommandLine;
using Plansmith.Cli.Commands;
using Plansmith.Cli.Rendering;

namespace Plansmith.Cli;

/// <summary>The <c>plansmith</c> command line: builds the commands and runs one.</summary>
internal static class CliApp
{
    /// <summary>Exit code of a run that completed.</summary>
    public const int Ok = 0;

    /// <summary>Exit code of a run that failed; a partial answer is still printed.</summary>
    public const int RunFailed = 1;

    /// <summary>Exit code for a usage or configuration error.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of a cancelled run (as after Ctrl+C).</summary>
    public const int Cancelled = 130;

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
        };
        // Ctrl+C is handled in Program, which passes its token in.
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors)
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
