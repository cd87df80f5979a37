using System.CommandLine;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith invoke PLUGIN.FUNCTION --arg name=value …</c>: call one plugin function and print its result.</summary>
internal static class InvokeCommand
{
    public static Command Create(CliConsole console)
    {
        var function = new Argument<string>("function") { Description = "The function, as plugin.function (see 'plansmith tools')." };
        var args = new Option<string[]>("--arg") { Description = "An argument as name=value; repeat for more.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var agentOptions = new AgentOptions();
        var command = new Command("invoke", "Call one plugin function directly and print its result.") { function, args };
        agentOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetRequiredValue(function);
            using var host = CliRun.Host(console, agentOptions.Read(parse), needsModel: NeedsModel(name));
            if (host is null)
            {
                return CliApp.BadInput;
            }

            if (!ToolResolver.TryResolve(host.Kernel.Plugins, name, out var target))
            {
                await console.Error.WriteLineAsync($"error: no function '{name}'. Available: {string.Join(", ", ToolResolver.AllNames(host.Kernel.Plugins))}.");
                return CliApp.BadInput;
            }

            var arguments = new KernelArguments();
            foreach (var pair in parse.GetValue(args) ?? [])
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    await console.Error.WriteLineAsync($"error: --arg '{pair}' is not name=value.");
                    return CliApp.BadInput;
                }

                var key = pair[..at];
                if (!target.Metadata.Parameters.Any(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase)))
                {
                    await console.Error.WriteLineAsync($"error: {ToolResolver.CanonicalName(target)} has no parameter '{key}'. Parameters: {string.Join(", ", target.Metadata.Parameters.Select(p => p.Name))}.");
                    return CliApp.BadInput;
                }

                arguments[key] = pair[(at + 1)..];
            }

            var missing = target.Metadata.Parameters.Where(p => p.IsRequired && !arguments.ContainsName(p.Name)).Select(p => p.Name).ToList();
            if (missing.Count > 0)
            {
                await console.Error.WriteLineAsync($"error: {ToolResolver.CanonicalName(target)} needs {string.Join(", ", missing.Select(m => $"--arg {m}=VALUE"))}.");
                return CliApp.BadInput;
            }

            try
            {
                var result = await target.InvokeAsync(host.Kernel, arguments, cancellationToken);
                await console.Out.WriteLineAsync(Agent.Execution.ToolStepExecutor.ToText(result.GetValue<object>()));
                return CliApp.Ok;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await console.Error.WriteLineAsync($"error: {ToolResolver.CanonicalName(target)} failed: {ex.Message}");
                return CliApp.RunFailed;
            }
        });
        return command;
    }

    /// <summary>
    /// Whether the function calls a model: the writing functions and <c>analyze.analyze</c> do;
    /// files, search and <c>analyze.run_code</c> do not, so they need no model set up (nor a note that there is none).
    /// </summary>
    internal static bool NeedsModel(string function)
    {
        var name = function.Trim().Replace('-', '.').Replace('_', '.').ToLowerInvariant();
        return name.StartsWith("synthesize.", StringComparison.Ordinal) || name is "analyze.analyze" || !name.Contains('.', StringComparison.Ordinal);
    }
}
