using System.CommandLine;
using Plansmith.Agent.Planning;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith prompts list|show NAME|check|render NAME</c>: the prompts in effect and a check of a prompt folder.</summary>
internal static class PromptsCommand
{
    public static Command Create(CliConsole console)
    {
        var command = new Command("prompts", "The prompt functions in effect, where each comes from, and checks of a prompt folder.");
        var list = new Command("list", Help.WithExamples(
            "List the prompt functions in effect and where each comes from.",
            "plansmith prompts list",
            "plansmith prompts list --prompts ./prompts"));
        var show = new Command("show", Help.WithExamples(
            "Show one prompt's inputs and template.",
            "plansmith prompts show plan_create",
            "plansmith prompts show plan_create --prompts ./prompts"));
        var check = new Command("check", Help.WithExamples(
            "Check a prompt folder: each function's files, inputs and template.",
            "plansmith prompts check                    (checks ./prompts)",
            "plansmith prompts check --prompts ./my-prompts"));
        var name = new Argument<string>("name") { Description = "The prompt function, e.g. plan_create." };
        show.Arguments.Add(name);
        foreach (var sub in new[] { list, show, check })
        {
            var prompts = new Option<DirectoryInfo?>("--prompts") { Description = "A folder of prompt directories (default for check: ./prompts)." };
            sub.Options.Add(prompts);
            command.Subcommands.Add(sub);
            sub.SetAction(async (parse, cancellationToken) =>
            {
                var directory = parse.GetValue(prompts)?.FullName;
                if (directory is not null && File.Exists(directory))
                {
                    await console.Error.WriteLineAsync($"error: the prompt folder '{directory}' is a file, not a folder. Give a folder of prompt directories with --prompts.");
                    return CliApp.BadInput;
                }

                if (sub == check)
                {
                    directory ??= Path.Combine(Environment.CurrentDirectory, "prompts");
                    var problems = PromptLibrary.CheckDirectory(directory);
                    if (problems.Count > 0)
                    {
                        await console.Error.WriteLineAsync($"{directory}: {problems.Count} problem(s):");
                        foreach (var problem in problems)
                        {
                            await console.Error.WriteLineAsync("- " + problem);
                        }

                        return CliApp.BadInput;
                    }

                    var found = Directory.EnumerateDirectories(directory).Count(d => File.Exists(Path.Combine(d, "skprompt.txt")));
                    await console.Out.WriteLineAsync($"{directory}: {found} prompt(s), no problems.");
                    return CliApp.Ok;
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
                    if (sub == list)
                    {
                        foreach (var prompt in library.List())
                        {
                            await console.Out.WriteLineAsync($"{prompt.Name,-16} {prompt.Source}\n{string.Empty,-16} {prompt.Description}");
                        }

                        return CliApp.Ok;
                    }

                    var wanted = parse.GetRequiredValue(name);
                    var info = library.List().FirstOrDefault(p => p.Name == wanted);
                    if (info is null)
                    {
                        await console.Error.WriteLineAsync($"error: no prompt '{wanted}'. Prompts: {string.Join(", ", library.List().Select(p => p.Name))}.");
                        return CliApp.BadInput;
                    }

                    await console.Out.WriteLineAsync($"{info.Name} ({info.Source})\n{info.Description}\nInputs: {string.Join(", ", info.Inputs)}\n\n{info.Template}");
                    return CliApp.Ok;
                }
            });
        }

        command.Subcommands.Add(PromptsRenderCommand.Create(console));
        return command;
    }
}
