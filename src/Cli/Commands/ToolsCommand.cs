using System.CommandLine;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith tools</c>: every function a plan step can call.</summary>
internal static class ToolsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print the tools as JSON." };
        var agentOptions = new AgentOptions();
        var command = new Command("tools", "List the tools plan steps can call, with their parameters.") { json };
        agentOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var host = CliRun.Host(console, agentOptions.Read(parse), needsModel: false);
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var functions = host.Kernel.Plugins.GetFunctionsMetadata();
            if (parse.GetValue(json))
            {
                var shaped = functions.Select(f => new
                {
                    name = $"{f.PluginName}.{f.Name}",
                    description = f.Description,
                    parameters = f.Parameters.Select(p => new { name = p.Name, description = p.Description, type = p.ParameterType?.Name, required = p.IsRequired, @default = p.DefaultValue?.ToString() }),
                });
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(shaped, Indented));
                return CliApp.Ok;
            }

            foreach (var function in functions)
            {
                await console.Out.WriteLineAsync($"{function.PluginName}.{function.Name} — {function.Description}");
                foreach (var parameter in function.Parameters)
                {
                    var requirement = parameter.IsRequired ? "required" : $"default {parameter.DefaultValue}";
                    await console.Out.WriteLineAsync($"    {parameter.Name} ({parameter.ParameterType?.Name ?? "string"}, {requirement}): {parameter.Description}");
                }
            }

            return CliApp.Ok;
        });
        return command;
    }
}
