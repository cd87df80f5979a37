using System.CommandLine;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith tools</c>: every function a plan step can call.</summary>
internal static class ToolsCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Functions offered only when a setting is given, and what they need.</summary>
    private static readonly (string Name, string Needs)[] Conditional =
    [
        ("search.search", "--corpus DIR (a folder of documents)"),
        ("search.web_search", "a search service: Plansmith:SearxngUrl (a SearXNG instance) or BRAVE_API_KEY"),
    ];

    public static Command Create(CliConsole console)
    {
        var json = new Option<bool>("--json") { Description = "Print the tools as JSON." };
        var agentOptions = new AgentOptions();
        var command = new Command("tools", Help.WithExamples(
            "List the tools plan steps can call, with their parameters.",
            "plansmith tools",
            "plansmith tools --corpus docs          (search.search too)",
            "plansmith tools --json | jq '.[].name'")) { json };
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

            // Functions that need a setting are left out without it: say which, and what to give.
            var missing = Conditional.Where(c => !functions.Any(f => $"{f.PluginName}.{f.Name}" == c.Name)).ToList();
            if (missing.Count > 0)
            {
                await console.Out.WriteLineAsync();
                await console.Out.WriteLineAsync("Not available with these settings:");
                foreach (var (name, needs) in missing)
                {
                    await console.Out.WriteLineAsync($"{name} needs {needs}");
                }
            }

            return CliApp.Ok;
        });
        return command;
    }
}
