using System.CommandLine;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Plugins.Hosting;

namespace Plansmith.Cli.Commands;

/// <summary>Options shared by the commands that set up a kernel or read a plan.</summary>
internal static class CommonOptions
{
    public static Option<DirectoryInfo> Root() => new("--root")
    {
        Description = "Folder the files plugin may read (default: the current folder).",
        DefaultValueFactory = _ => new DirectoryInfo(Environment.CurrentDirectory),
    };

    public static Option<int> MaxSteps() => new("--max-steps")
    {
        Description = "The most steps a plan may have.",
        DefaultValueFactory = _ => new PlanValidationOptions().MaxSteps,
    };

    public static Argument<FileInfo> PlanFile() => new("plan")
    {
        Description = "A plan in the Plansmith JSON contract (see docs/plan-contract.md).",
    };

    /// <summary>A kernel over the <c>--root</c> folder, or null after saying why there is none.</summary>
    public static async Task<Kernel?> KernelForRootAsync(DirectoryInfo root, CliConsole console)
    {
        if (!root.Exists)
        {
            await console.Error.WriteLineAsync($"error: --root folder '{root.FullName}' does not exist.");
            return null;
        }

        return BuildKernel(root);
    }

    /// <summary>A kernel with Plansmith's built-in plugins over <paramref name="root"/>.</summary>
    public static Kernel BuildKernel(DirectoryInfo root)
    {
        var kernel = new Kernel();
        kernel.Plugins.AddFilesPlugin(root.FullName);
        return kernel;
    }

    /// <summary>Reads and validates a plan file, or writes every problem and returns null.</summary>
    public static async Task<Plan?> LoadPlanAsync(FileInfo file, Kernel kernel, int maxSteps, CliConsole console, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await console.Error.WriteLineAsync($"error: plan file '{file.FullName}' does not exist.");
            return null;
        }

        var text = await File.ReadAllTextAsync(file.FullName, cancellationToken);
        try
        {
            var plan = PlanJson.Parse(text);
            new PlanValidator(new PlanValidationOptions { MaxSteps = maxSteps }).Validate(plan, kernel.Plugins);
            return plan;
        }
        catch (PlanRejectedException ex)
        {
            await console.Error.WriteLineAsync($"error: {file.Name}: {ex.Message}");
            return null;
        }
    }

    /// <summary>Checks that an option value is at least <paramref name="minimum"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < minimum)
            {
                result.AddError($"{option.Name} must be at least {minimum}.");
            }
        });
        return option;
    }
}
