using System.CommandLine;
using Plansmith.Cli.Commands;

namespace Plansmith.Cli;

/// <summary>The <c>plansmith</c> command line: builds the commands and runs one.</summary>
internal static class CliApp
{
    /// <summary>Exit code of a run that completed.</summary>
    public const int Ok = 0;

    /// <summary>Exit code of a run in which a step failed.</summary>
    public const int RunFailed = 1;

    /// <summary>Exit code for bad input: an unreadable or invalid plan, a missing folder.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code of a cancelled run (as after Ctrl+C).</summary>
    public const int Cancelled = 130;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var console = new CliConsole(output, error);
        var root = new RootCommand("Plansmith — a planning agent for Semantic Kernel. Validate and run plans of tool steps.")
        {
            ValidateCommand.Create(console),
            ExecuteCommand.Create(console),
            ToolsCommand.Create(console),
        };
        var configuration = new InvocationConfiguration { Output = output, Error = error };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken);
    }
}

/// <summary>Where commands write: normal output and diagnostics.</summary>
internal sealed record CliConsole(TextWriter Out, TextWriter Error);
