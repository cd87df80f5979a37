using System.CommandLine;
using Plansmith.Agent.Planning;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith prompts render NAME --input k=v …</c>: the chat messages a prompt sends, as the model sees them.</summary>
internal static class PromptsRenderCommand
{
    public static Command Create(CliConsole console)
    {
        var name = new Argument<string>("name") { Description = "The prompt function, e.g. plan_create." };
        var inputs = new Option<string[]>("--input")
        {
            Description = "An input as NAME=VALUE (repeat for each input). Inputs not given take their default from config.json, or are empty.",
            AllowMultipleArgumentsPerToken = false,
        };
        var prompts = new Option<DirectoryInfo?>("--prompts") { Description = "A folder of prompt directories (default: the built-in prompts)." };
        var command = new Command("render", Help.WithExamples(
            "Print the chat messages a prompt sends after template rendering (role and content of each), as the model sees them.",
            "plansmith prompts render route --input request=\"hello\" --input tools=none",
            "plansmith prompts render plan_create --prompts ./my-prompts --input goal=\"Compare A and B\" --input tools=none --input agents=none --input max_steps=5"))
        {
            name, inputs, prompts,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var given = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parse.GetValue(inputs) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    await console.Error.WriteLineAsync($"error: --input '{pair}' is not NAME=VALUE. Example: --input goal=\"Compare A and B\"");
                    return CliApp.BadInput;
                }

                given[pair[..equals].Trim()] = pair[(equals + 1)..];
            }

            var directory = parse.GetValue(prompts)?.FullName;
            if (directory is not null && !Directory.Exists(directory))
            {
                await console.Error.WriteLineAsync($"error: the prompt folder '{directory}' {(File.Exists(directory) ? "is a file, not a folder" : "does not exist")}. Give a folder of prompt directories with --prompts.");
                return CliApp.BadInput;
            }

            PromptLibrary library;
            try
            {
                library = new PromptLibrary(new PromptLibraryOptions { Directory = directory, Watch = false });
            }
            catch (PromptLibraryException ex)
            {
                await console.Error.WriteLineAsync("error: " + ex.Message);
                return CliApp.BadInput;
            }

            using (library)
            {
                var wanted = parse.GetRequiredValue(name);
                if (!library.List().Any(p => p.Name == wanted))
                {
                    await console.Error.WriteLineAsync($"error: no prompt '{wanted}'. Prompts: {string.Join(", ", library.List().Select(p => p.Name))}.");
                    return CliApp.BadInput;
                }

                var function = library.Get(wanted);
                var declared = function.Metadata.Parameters.Select(p => p.Name).ToList();
                var unknown = given.Keys.Where(k => !declared.Contains(k, StringComparer.Ordinal)).ToList();
                if (unknown.Count > 0)
                {
                    await console.Error.WriteLineAsync($"error: {wanted} has no input {string.Join(", ", unknown.Select(u => $"'{u}'"))}. Its inputs: {string.Join(", ", declared)}.");
                    return CliApp.BadInput;
                }

                var missing = PromptRenderer.MissingRequired(function, given);
                if (missing.Count > 0)
                {
                    await console.Error.WriteLineAsync($"error: {wanted} needs the required input(s) {string.Join(", ", missing)}. Give each with --input NAME=VALUE, e.g. --input {missing[0]}=\"…\".");
                    return CliApp.BadInput;
                }

                IReadOnlyList<(string Role, string Content)> messages;
                try
                {
                    messages = await PromptRenderer.RenderAsync(library, wanted, given, cancellationToken);
                }
                catch (Exception ex) when (ex is Microsoft.SemanticKernel.KernelException or KeyNotFoundException)
                {
                    // A template that calls a function the kernel does not have ({{plugin.function}}) fails only when rendered.
                    await console.Error.WriteLineAsync($"error: {wanted} could not be rendered: {ex.Message} Check the {{{{…}}}} blocks of its skprompt.txt: only {{{{$input}}}} blocks are filled in.");
                    return CliApp.BadInput;
                }

                foreach (var (role, content) in messages)
                {
                    await console.Out.WriteLineAsync($"--- {role} ---");
                    await console.Out.WriteLineAsync(content);
                }

                return CliApp.Ok;
            }
        });
        return command;
    }
}
