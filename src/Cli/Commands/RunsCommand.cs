using System.CommandLine;
using System.Globalization;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Reports;
using Plansmith.Agent.Runs.Store;
using Plansmith.Cli.Rendering;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith resume RUN_ID</c> and <c>plansmith runs [show|delete|report]</c>.</summary>
internal static class RunsCommand
{
    public static Command Resume(CliConsole console)
    {
        var id = new Argument<string>("run-id") { Description = "The run to resume (see 'plansmith runs')." };
        var agentOptions = new AgentOptions();
        var json = new Option<bool>("--json") { Description = "Print the run result as JSON." };
        var approve = new Option<bool>("--approve") { Description = "Ask before running the plan (needed when the run stopped while its plan waited for approval)." };
        var limits = new RunLimitOptions();
        var command = new Command("resume", Help.WithExamples(
            "Resume a run that stopped: completed steps are not run again. A run live in another process is refused (exit 2).",
            "plansmith runs                 (find the run's id)",
            "plansmith resume 3f2a9c1e",
            "plansmith resume 3f2a9c1e --json > result.json",
            "plansmith resume 3f2a9c1e --approve       (a run that stopped at its approval question)")) { id, json, approve };
        agentOptions.AddTo(command);
        limits.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = agentOptions.Read(parse);

            // A run that cannot be resumed (unknown, or finished) needs no model: say so before setting one up.
            var (problem, recorded) = await InspectAsync(settings, parse.GetRequiredValue(id), parse.GetValue(approve), cancellationToken);
            if (problem is not null)
            {
                await console.Error.WriteLineAsync("error: " + problem);
                return CliApp.BadInput;
            }

            // The run carries on with the model, corpus, root and prompts it started with; flags that differ win, with a warning.
            if (recorded is not null)
            {
                var (merged, reused, warnings) = recorded.ApplyTo(settings);
                settings = merged;
                if (reused.Length > 0 && !parse.GetValue(json))
                {
                    await console.Error.WriteLineAsync(reused);
                }

                foreach (var warning in warnings)
                {
                    await console.Error.WriteLineAsync("warning: " + warning);
                }
            }

            using var host = CliRun.Host(console, settings);
            if (host is null)
            {
                return CliApp.BadInput;
            }

            if (host.Store is null)
            {
                await console.Error.WriteLineAsync("error: resume needs the run store; leave out --no-store.");
                return CliApp.BadInput;
            }

            var asJson = parse.GetValue(json);
            var options = limits.Apply(parse, host.Options);
            var approver = parse.GetValue(approve) ? new ConsoleApprover(console.In, asJson ? console.Error : console.Out) : null;
            using var agent = host.CreateAgent(options, approver);
            var answer = asJson ? null : new AnswerStream(console.Out, console.Error, blankLineFirst: true);
            AgentRunResult? result;

            // A refused resume (unknown, finished or live run) or a store failure leaves as a
            // RunStoreException, which CliApp turns into a message and exit code 2 or 1.
            using (var progress = asJson ? null : CliRun.Progress(console))
            {
                if (approver is not null)
                {
                    approver.Progress = progress;
                }

                result = await CliRun.ShowAsync(agent.ResumeStreamingAsync(parse.GetRequiredValue(id), options, cancellationToken), progress, answer, async e =>
                {
                    if (e is RunResumed resumed && !asJson)
                    {
                        using var paused = progress?.Pause();
                        await console.Out.WriteLineAsync($"Resuming {resumed.RunId}: {resumed.CompletedSteps.Count} step(s) already done" + (resumed.Unverified.Count == 0 ? "." : $"; re-running {string.Join(", ", resumed.Unverified)}, which may have run before (unverified)."));
                        foreach (var warning in resumed.Warnings)
                        {
                            await console.Error.WriteLineAsync("warning: " + warning);
                        }
                    }
                });
            }

            if (asJson)
            {
                await console.Out.WriteLineAsync(AgentRunResultJson.Serialize(result!));
            }
            else
            {
                await CliRun.PrintAnswerAsync(console, result!, quiet: false, answer);
            }

            return CliRun.ExitCode(result!);
        });
        return command;
    }

    public static Command Runs(CliConsole console)
    {
        var store = new Option<FileInfo?>("--store") { Description = "The run store (default: runs.db under the user's local data folder).", Recursive = true };
        var command = new Command("runs", "The run history: list, show, delete, report.") { store };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var runs = Open(parse, store, console);
            if (runs is null)
            {
                return CliApp.BadInput;
            }

            var list = await runs.ListRunsAsync(cancellationToken: cancellationToken);
            if (list.Count == 0)
            {
                await console.Out.WriteLineAsync("No runs recorded yet.");
                return CliApp.Ok;
            }

            await console.Out.WriteLineAsync($"{"RUN",-24} {"STATUS",-16} {"STARTED (UTC)",-20} {"DURATION",9} {"TOKENS",8}  GOAL");
            foreach (var run in list)
            {
                var duration = run.EndedAt is { } end ? ((end - run.StartedAt).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s") : "-";
                await console.Out.WriteLineAsync($"{run.Id,-24} {run.Status.ToText(),-16} {run.StartedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-20} {duration,9} {run.Tokens,8}  {run.Goal}");
            }

            return CliApp.Ok;
        });

        var showId = new Argument<string>("run-id");
        var show = new Command("show", Help.WithExamples(
            "One run: status, plan, each step and the answer.",
            "plansmith runs                 (find the run's id)",
            "plansmith runs show 3f2a9c1e")) { showId };
        show.SetAction(async (parse, cancellationToken) => await WithRunAsync(parse, store, showId, console, async run =>
        {
            await console.Out.WriteLineAsync(RunReport.Markdown(run));
            return CliApp.Ok;
        }, cancellationToken));

        var deleteId = new Argument<string>("run-id");
        var delete = new Command("delete", Help.WithExamples(
            "Delete a run from the store (refused while the run is live in some process).",
            "plansmith runs delete 3f2a9c1e",
            "plansmith runs delete 3f2a9c1e --store ./runs.db")) { deleteId };
        delete.SetAction(async (parse, cancellationToken) =>
        {
            var runs = Open(parse, store, console);
            if (runs is null)
            {
                return CliApp.BadInput;
            }

            var id = parse.GetRequiredValue(deleteId);
            if (!await runs.DeleteRunAsync(id, cancellationToken))
            {
                await console.Error.WriteLineAsync($"error: no run '{id}'. 'plansmith runs' lists the runs.");
                return CliApp.BadInput;
            }

            await console.Out.WriteLineAsync($"Deleted run {id}.");
            return CliApp.Ok;
        });

        var reportId = new Argument<string>("run-id");
        var format = new Option<string>("--format") { Description = "md (Mermaid graph and timeline), html (self-contained page with SVG) or json.", DefaultValueFactory = _ => "md" };
        format.AcceptOnlyFromAmong("md", "html", "json");
        var output = new Option<FileInfo?>("--output") { Description = "Write the report to this file instead of standard output." };
        var report = new Command("report", Help.WithExamples(
            "A report of one run: the plan as a graph, a timeline of the steps, outputs, replans, usage and the answer.",
            "plansmith runs report 3f2a9c1e                      (Markdown on standard output)",
            "plansmith runs report 3f2a9c1e --format html --output run.html",
            "plansmith runs report 3f2a9c1e --format json | jq .steps")) { reportId, format, output };
        report.SetAction(async (parse, cancellationToken) => await WithRunAsync(parse, store, reportId, console, async run =>
        {
            var text = parse.GetValue(format) switch
            {
                "html" => RunReport.Html(run),
                "json" => RunReport.Json(run),
                _ => RunReport.Markdown(run),
            };
            if (parse.GetValue(output) is { } file)
            {
                if (Directory.Exists(file.FullName) || !Directory.Exists(Path.GetDirectoryName(file.FullName)))
                {
                    var why = Directory.Exists(file.FullName) ? "is a folder" : "is in a folder that does not exist";
                    await console.Error.WriteLineAsync($"error: --output '{file.FullName}' {why}. Give a file path in an existing folder, e.g. --output run.{parse.GetValue(format)}");
                    return CliApp.BadInput;
                }

                try
                {
                    await File.WriteAllTextAsync(file.FullName, text, cancellationToken);
                }
                catch (UnauthorizedAccessException)
                {
                    await console.Error.WriteLineAsync($"error: --output '{file.FullName}' is not writable by you. Choose a path you may write to.");
                    return CliApp.BadInput;
                }
                catch (IOException ex)
                {
                    // The disk is full, say: the report is lost, the run is not.
                    await console.Error.WriteLineAsync($"error: could not write the report to '{file.FullName}': {ex.Message} Free some space or choose a writable path with --output, or leave --output out to print the report.");
                    return CliApp.RunFailed;
                }

                await console.Out.WriteLineAsync($"Wrote {file.FullName}");
            }
            else
            {
                await console.Out.WriteLineAsync(text);
            }

            return CliApp.Ok;
        }, cancellationToken));

        command.Subcommands.Add(show);
        command.Subcommands.Add(delete);
        command.Subcommands.Add(report);
        return command;
    }

    /// <summary>Why the run cannot be resumed (no such run, or it finished), or null; null too when the store cannot be read here (the host reports that).</summary>
    /// <summary>Why the run cannot be resumed (or null), and the setup it was recorded with (or null).</summary>
    private static async Task<(string? Problem, RunSetup? Setup)> InspectAsync(AgentSettings settings, string runId, bool approve, CancellationToken cancellationToken)
    {
        IRunStore? store;
        try
        {
            store = AgentHost.OpenStore(settings, Settings.Load(settings.Config));
        }
        catch (CliSetupException)
        {
            return (null, null);
        }

        if (store is null)
        {
            return (null, null);
        }

        try
        {
            var run = await store.GetRunAsync(runId, cancellationToken);
            return run switch
            {
                null => ($"No run '{runId}' in the store. 'plansmith runs' lists the runs.", null),
                { Status: StoredRunStatus.Completed or StoredRunStatus.Answered } => ($"run '{runId}' already {run.Status.ToText()}; there is nothing to resume. 'plansmith runs show {runId}' shows it.", null),
                { Status: StoredRunStatus.Rejected } => ($"run '{runId}' was rejected (at approval, or no valid plan could be made); nothing of it ran and it is not resumed. Start the goal again with 'plansmith run'.", null),
                { AwaitsApproval: true } when !approve => ($"run '{runId}' stopped while its plan waited for approval, so nothing of it ran. Resume it with --approve to review the plan first: plansmith resume {runId} --approve", null),
                _ => (null, RunSetup.FromOptionsJson(run.Info.OptionsJson)),
            };
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private static IRunStore? Open(ParseResult parse, Option<FileInfo?> store, CliConsole console)
    {
        try
        {
            return AgentHost.OpenStore(new AgentSettings(null, null, null, null, false, null, null, null, parse.GetValue(store), false, null, false));
        }
        catch (CliSetupException ex)
        {
            console.Error.WriteLine("error: " + ex.Message);
            return null;
        }
    }

    private static async Task<int> WithRunAsync(ParseResult parse, Option<FileInfo?> store, Argument<string> id, CliConsole console, Func<StoredRun, Task<int>> action, CancellationToken cancellationToken)
    {
        var runs = Open(parse, store, console);
        if (runs is null)
        {
            return CliApp.BadInput;
        }

        var runId = parse.GetRequiredValue(id);
        var run = await runs.GetRunAsync(runId, cancellationToken);
        if (run is null)
        {
            await console.Error.WriteLineAsync($"error: no run '{runId}'. 'plansmith runs' lists the runs.");
            return CliApp.BadInput;
        }

        return await action(run);
    }
}
