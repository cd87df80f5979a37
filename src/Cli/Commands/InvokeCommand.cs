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
        var command = new Command("invoke", Help.WithExamples(
            "Call one plugin function directly and print its result.",
            "plansmith tools                 (the functions and their parameters)",
            "plansmith invoke files.read --arg path=README.md",
            "plansmith invoke files.read --arg path=README.md --arg maxChars=2000",
            "plansmith invoke search.search --corpus docs --arg query=\"retry policy\"")) { function, args };
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
                var parameter = target.Metadata.Parameters.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
                if (parameter is null)
                {
                    await console.Error.WriteLineAsync($"error: {ToolResolver.CanonicalName(target)} has no parameter '{key}'. Parameters: {string.Join(", ", target.Metadata.Parameters.Select(p => p.Name))}.");
                    return CliApp.BadInput;
                }

                if (arguments.ContainsName(parameter.Name))
                {
                    await console.Error.WriteLineAsync($"error: --arg {parameter.Name} is given more than once. Give each argument once.");
                    return CliApp.BadInput;
                }

                var (value, problem) = Convert(parameter.Name, parameter.ParameterType, pair[(at + 1)..]);
                if (problem is not null)
                {
                    await console.Error.WriteLineAsync("error: " + problem);
                    return CliApp.BadInput;
                }

                arguments[parameter.Name] = value;
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
    /// The value of one <c>--arg</c> as its parameter's type, or a message saying what the parameter
    /// takes: found here, before the call, rather than as a conversion failure inside it.
    /// </summary>
    internal static (object? Value, string? Problem) Convert(string name, Type? type, string text)
    {
        var target = type is null ? typeof(string) : Nullable.GetUnderlyingType(type) ?? type;
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (target == typeof(int) || target == typeof(long) || target == typeof(short))
        {
            return long.TryParse(text, System.Globalization.NumberStyles.Integer, invariant, out var whole)
                && (target != typeof(int) || whole is >= int.MinValue and <= int.MaxValue)
                && (target != typeof(short) || whole is >= short.MinValue and <= short.MaxValue)
                ? (System.Convert.ChangeType(whole, target, invariant), null)
                : (null, $"{name} takes a whole number; '{text}' is not one. Example: --arg {name}=100");
        }

        if (target == typeof(double) || target == typeof(float) || target == typeof(decimal))
        {
            return double.TryParse(text, System.Globalization.NumberStyles.Float, invariant, out var number) && double.IsFinite(number)
                ? (System.Convert.ChangeType(number, target, invariant), null)
                : (null, $"{name} takes a number; '{text}' is not one. Example: --arg {name}=0.5");
        }

        if (target == typeof(bool))
        {
            return bool.TryParse(text, out var flag)
                ? (flag, null)
                : (null, $"{name} takes true or false; '{text}' is not one.");
        }

        if (target.IsEnum)
        {
            var names = Enum.GetNames(target);
            var match = names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            return match is not null
                ? (Enum.Parse(target, match), null)
                : (null, $"{name} takes one of {string.Join(", ", names)}; '{text}' is not one.");
        }

        return (text, null);
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
