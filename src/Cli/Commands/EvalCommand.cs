using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Plansmith.Cli.Eval;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Commands;

/// <summary><c>plansmith eval SUITE</c>: runs a suite of goals against the configured model and checks each run's assertions.</summary>
internal static class EvalCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create(CliConsole console)
    {
        var suiteFile = new Argument<FileInfo>("suite") { Description = "A suite of cases as JSON (see eval/starter.json): each a goal, optional corpus/root, mode and limits, and assertions under 'expect'." };
        var agentOptions = new AgentOptions();
        var json = new Option<bool>("--json") { Description = "Print every case's outcome and the totals as JSON." };
        var only = new Option<string[]>("--case") { Description = "Run only the case with this name (repeat for several)." };
        var minPass = new Option<double?>("--min-pass")
        {
            Description = "Exit 0 when at least this share of cases pass, from 0 to 1 (default: every case must pass).",
            CustomParser = result =>
            {
                var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value is < 0 or > 1 || double.IsNaN(value))
                {
                    result.AddError($"--min-pass takes a share from 0 to 1, e.g. --min-pass 0.8; '{token}' is not one.");
                    return null;
                }

                return value;
            },
        };
        var command = new Command("eval", Help.WithExamples(
            "Run a suite of goals against the configured model (offline by default) and check what each run did: the plan, the tools, verification, calls, tokens, the answer. Prints a table per case and totals; exit 0 when every case passes (or --min-pass is met), else 1.",
            "plansmith eval eval/starter.json",
            "plansmith eval eval/starter.json --prompts ./my-prompts          (try an edited prompt folder)",
            "plansmith eval eval/starter.json --endpoint http://localhost:11434/v1 --model llama3.1 --min-pass 0.8",
            "plansmith eval eval/starter.json --case dag-compare --json > outcome.json"))
        {
            suiteFile, json, only, minPass,
        };
        agentOptions.AddTo(command);

        // Eval runs are never recorded: the store options would only mislead.
        command.Options.Remove(agentOptions.Store);
        command.Options.Remove(agentOptions.NoStore);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var suite = await EvalSuite.LoadAsync(parse.GetRequiredValue(suiteFile).FullName, cancellationToken);
            var names = parse.GetValue(only) ?? [];
            var unknown = names.Where(n => !suite.Cases.Any(c => c.Name == n)).ToList();
            if (unknown.Count > 0)
            {
                throw new CliSetupException($"the suite has no case {string.Join(", ", unknown.Select(n => $"'{n}'"))}. Its cases: {string.Join(", ", suite.Cases.Select(c => c.Name))}.");
            }

            var cases = names.Length == 0 ? suite.Cases : [.. suite.Cases.Where(c => names.Contains(c.Name))];
            var settings = agentOptions.Read(parse) with { NoStore = true };
            var asJson = parse.GetValue(json);
            var outcomes = new List<EvalOutcome>();
            string? provider = null;
            foreach (var c in cases)
            {
                outcomes.Add(await RunCaseAsync(suite, c, settings, console, announce: provider is null, p => provider ??= p, cancellationToken));
                if (!asJson)
                {
                    await console.Error.WriteLineAsync($"{(outcomes[^1].Passed ? "pass" : "FAIL")}  {c.Name}");
                }
            }

            var passed = outcomes.Count(o => o.Passed);
            var rate = (double)passed / outcomes.Count;
            var threshold = parse.GetValue(minPass);
            if (asJson)
            {
                await console.Out.WriteLineAsync(JsonSerializer.Serialize(new
                {
                    suite = suite.Description,
                    model = provider,
                    cases = outcomes.Select(o => new { name = o.Name, passed = o.Passed, o.Status, o.Steps, o.PlanAttempts, o.Replans, o.ModelCalls, o.Tokens, seconds = Math.Round(o.Seconds, 3), o.Failures }),
                    totals = Totals(outcomes, rate),
                    minPass = threshold,
                }, Json));
            }
            else
            {
                await console.Out.WriteLineAsync($"Plansmith eval · {suite.Description} · model: {provider}");
                await WriteTableAsync(console.Out, outcomes, rate);
            }

            return passed == outcomes.Count || (threshold is { } min && rate >= min) ? CliApp.Ok : CliApp.RunFailed;
        });
        return command;
    }

    private static async Task<EvalOutcome> RunCaseAsync(EvalSuite suite, EvalCase c, AgentSettings settings, CliConsole console, bool announce, Action<string> provider, CancellationToken cancellationToken)
    {
        var corpus = c.Corpus is null ? settings.Corpus : new DirectoryInfo(suite.Resolve(c.Corpus));
        var root = c.Root is not null ? new DirectoryInfo(suite.Resolve(c.Root)) : settings.Root ?? corpus ?? new DirectoryInfo(suite.Folder);
        using var host = AgentHost.Create(settings with { Corpus = corpus, Root = root }, console.Error, needsModel: true, announceOffline: announce);
        provider(host.Provider);
        var options = host.Options;
        if (c.Mode is { } mode)
        {
            options.UseMode(Enum.Parse<Agent.Planning.PlanningMode>(mode, ignoreCase: true));
        }

        options.MaxSteps = c.Limits.MaxSteps ?? options.MaxSteps;
        options.MaxReplans = c.Limits.MaxReplans ?? options.MaxReplans;
        options.MaxDepth = c.Limits.MaxDepth ?? options.MaxDepth;
        options.Execution.MaxParallelism = c.Limits.MaxParallel ?? options.Execution.MaxParallelism;
        if (options.Check() is { Count: > 0 } problems)
        {
            throw new CliSetupException($"case '{c.Name}': invalid limits: {string.Join(" ", problems)}");
        }

        using var agent = host.CreateAgent(options, approver: null, record: false);
        var clock = Stopwatch.StartNew();
        try
        {
            var result = await agent.RunAsync(c.Goal, options, cancellationToken);
            return EvalOutcome.Of(c, result);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // One case's crash (a model server that went away, say) is that case's failure, not the suite's.
            return EvalOutcome.Crashed(c.Name, $"{ex.Message} ({ex.GetType().Name})", clock.Elapsed.TotalSeconds);
        }
    }

    private static object Totals(List<EvalOutcome> outcomes, double rate) => new
    {
        cases = outcomes.Count,
        passed = outcomes.Count(o => o.Passed),
        passRate = Math.Round(rate, 4),
        planAttempts = outcomes.Sum(o => o.PlanAttempts),
        replans = outcomes.Sum(o => o.Replans),
        modelCalls = outcomes.Sum(o => o.ModelCalls),
        tokens = outcomes.Sum(o => o.Tokens),
        seconds = Math.Round(outcomes.Sum(o => o.Seconds), 3),
    };

    private static async Task WriteTableAsync(TextWriter output, List<EvalOutcome> outcomes, double rate)
    {
        var width = Math.Max(4, outcomes.Max(o => o.Name.Length));
        await output.WriteLineAsync($"{"case".PadRight(width)}  result  status           steps  attempts  replans  calls    tokens     time");
        foreach (var o in outcomes)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{o.Name.PadRight(width)}  {(o.Passed ? "pass" : "FAIL"),-6}  {o.Status,-15}  {o.Steps,5}  {o.PlanAttempts,8}  {o.Replans,7}  {o.ModelCalls,5}  {o.Tokens,8}  {o.Seconds,5:0.00} s"));
        }

        var failing = outcomes.Where(o => !o.Passed).ToList();
        if (failing.Count > 0)
        {
            await output.WriteLineAsync();
            foreach (var o in failing)
            {
                await output.WriteLineAsync($"{o.Name} failed:");
                foreach (var failure in o.Failures)
                {
                    await output.WriteLineAsync("  - " + failure);
                }
            }
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Totals: {outcomes.Count(o => o.Passed)}/{outcomes.Count} passed ({rate * 100:0}%) · plan attempts {outcomes.Sum(o => o.PlanAttempts)} · replans {outcomes.Sum(o => o.Replans)} · model calls {outcomes.Sum(o => o.ModelCalls)} · tokens {outcomes.Sum(o => o.Tokens)} · time {outcomes.Sum(o => o.Seconds):0.00} s"));
    }
}
