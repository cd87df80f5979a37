using System.CommandLine;
using Microsoft.Extensions.Logging;
using Plansmith.Cli.Setup;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Runs;
using Plansmith.Cli.Rendering;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith execute PLAN</c>: validates a plan of tool steps and runs it with live progress.</summary>
internal static class ExecuteCommand
{
    public static Command Create(CliConsole console)
    {
        var plan = CommonOptions.PlanFile();
        var maxSteps = CommonOptions.MaxSteps().AtLeast(1);
        var defaults = new PlanExecutorOptions();
        var maxParallel = Numbers.WholeNumber<PlanExecutorOptions>("--max-parallel", $"The most steps running at once; 1 runs the plan linearly (default {defaults.MaxParallelism}).", nameof(PlanExecutorOptions.MaxParallelism));
        var maxRetries = Numbers.WholeNumber<PlanExecutorOptions>("--max-retries", $"Retries of a failed step before its fallback (default {defaults.MaxRetries}).", nameof(PlanExecutorOptions.MaxRetries));
        var stepTimeout = new Option<double>("--step-timeout")
        {
            Description = "Seconds one attempt of one step may take.",
            DefaultValueFactory = _ => defaults.StepTimeout.TotalSeconds,
        };
        var json = new Option<bool>("--json") { Description = "Print the run result as JSON on standard output (progress goes to standard error)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print no progress." };
        var command = new Command("execute", Help.WithExamples(
            "Validate a plan file and run it: steps start as soon as their dependencies complete.",
            "plansmith execute plan.json",
            "plansmith execute plan.json --corpus docs --max-parallel 2 --step-timeout 60",
            "plansmith execute plan.json --json --quiet > result.json"))
        {
            plan, maxSteps, maxParallel, maxRetries, stepTimeout, json, quiet,
        };
        var agentOptions = new AgentOptions();
        agentOptions.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = agentOptions.Read(parse);
            using var host = CliRun.Host(console, settings, needsModel: true, announceOffline: false);
            if (host is null)
            {
                return CliApp.BadInput;
            }

            var kernel = host.Kernel;
            var timeoutSeconds = parse.GetValue(stepTimeout);
            if (!(timeoutSeconds > 0 && timeoutSeconds <= 86_400))
            {
                await console.Error.WriteLineAsync($"error: --step-timeout must be greater than 0 and at most 86400 seconds (one day); {timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not. Example: --step-timeout 300");
                return CliApp.BadInput;
            }

            var loaded = await CommonOptions.LoadPlanAsync(parse.GetRequiredValue(plan), kernel, parse.GetValue(maxSteps), [.. host.Options.Agents.Keys], console, cancellationToken);
            if (loaded is null)
            {
                return CliApp.BadInput;
            }

            var needsModel = CommonOptions.NeedsModel(loaded);
            if (needsModel.Count > 0)
            {
                await console.Error.WriteLineAsync($"error: 'plansmith execute' runs tool steps only, and {needsModel.Count} step(s) need a model: {string.Join("; ", needsModel)}. Run the plan's goal with 'plansmith run', or give those steps a tool.");
                return CliApp.BadInput;
            }

            if (host.IsOffline && !settings.Offline && loaded.Steps.Any(s => s.Tool is { } tool && Agent.Plans.ToolResolver.TryResolve(kernel.Plugins, tool, out var function) && host.Prompts.Owns(function)))
            {
                await console.Error.WriteLineAsync("No model configured: the plan's model-backed tools use Plansmith's built-in offline model (rule-based, not a language model). Set OPENAI_API_KEY, or use --endpoint URL --model NAME, for a real one.");
            }

            var options = new PlanExecutorOptions
            {
                MaxParallelism = parse.GetValue(maxParallel) ?? defaults.MaxParallelism,
                MaxRetries = parse.GetValue(maxRetries) ?? defaults.MaxRetries,
                StepTimeout = TimeSpan.FromSeconds(timeoutSeconds),
            };
            var executor = new PlanExecutor(kernel, [new CollectStepExecutor(), new ToolStepExecutor()], options, logger: host.LoggerFactory.CreateLogger<PlanExecutor>());
            var asJson = parse.GetValue(json);
            var progress = parse.GetValue(quiet) ? null : new ProgressRenderer(asJson ? console.Error : console.Out);
            progress?.Begin(loaded, options.MaxParallelism);

            PlanExecutionResult? result = null;
            await foreach (var e in executor.ExecuteStreamingAsync(loaded, cancellationToken: cancellationToken))
            {
                progress?.Render(e);
                if (e is PlanCompleted completed)
                {
                    result = completed.Result;
                }
            }

            if (asJson)
            {
                await console.Out.WriteLineAsync(PlanExecutionResultJson.Serialize(result!));
            }

            // --quiet drops progress, not the reason a plan failed: a script must learn why.
            if (progress is null && result!.Status != PlanExecutionStatus.Completed)
            {
                await console.Error.WriteLineAsync($"{result.Status}: {result.Error ?? "the plan did not complete."}");
                foreach (var step in result.Steps.Where(s => s.Error is not null))
                {
                    await console.Error.WriteLineAsync($"  {step.StepId}: {step.Error}");
                }
            }

            return result!.Status switch
            {
                PlanExecutionStatus.Completed => CliApp.Ok,
                PlanExecutionStatus.Cancelled => CliApp.Cancelled,
                _ => CliApp.RunFailed,
            };
        });
        return command;
    }
}
