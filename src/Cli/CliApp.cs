using System.CommandLine;
using Plansmith.Agent.Runs.Store;
using Plansmith.Cli.Commands;

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

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, TextReader? input = null, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(output, error, input ?? Console.In, output == Console.Out && !Console.IsOutputRedirected && !Console.IsInputRedirected);
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
        catch (RunStoreException ex)
        {
            // Refused (unknown, finished or live run; not a store): nothing was done, exit 2.
            // Failed (read-only, full, damaged, deleted, lease lost): what was stored stays, exit 1.
            await error.WriteLineAsync("error: " + ex.Message);
            return ex.IsRefusal ? BadInput : RunFailed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Cancelled;
        }
        catch (Exception ex)
        {
            // A failure nobody planned for still ends with a message and an exit code, not a crash.
            await error.WriteLineAsync($"error: {ex.GetType().Name}: {ex.Message} (an unexpected failure; please report it with the command you ran)");
            return RunFailed;
        }
    }
}

/// <summary>Where commands read and write, and whether a person is at a terminal.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, TextReader In, bool IsTerminal);
