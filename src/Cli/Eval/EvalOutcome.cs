using System.Text.RegularExpressions;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Cli.Eval;

/// <summary>What one case's run did, and which of its assertions failed and why.</summary>
internal sealed record EvalOutcome(
    string Name,
    string Status,
    int Steps,
    int PlanAttempts,
    int Replans,
    int ModelCalls,
    long Tokens,
    double Seconds,
    IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>A case whose run could not be made at all (the model or a tool threw).</summary>
    public static EvalOutcome Crashed(string name, string error, double seconds) =>
        new(name, "error", 0, 0, 0, 0, 0, seconds, [$"the run failed before it ended: {error}"]);

    /// <summary>Checks a case's assertions against its run's result.</summary>
    public static EvalOutcome Of(EvalCase c, AgentRunResult result)
    {
        var expect = c.Expect;
        var failures = new List<string>();
        var plan = result.Plan;
        var subplans = Flatten(result.Events).OfType<SubplanCreated>().Select(s => s.Plan).ToList();
        var rejected = result.Events.OfType<PlanRejected>().Where(r => r.Stage == "plan_create").ToList();
        var created = result.Events.OfType<PlanCreated>().ToList();
        var attempts = rejected.Count + created.Count;
        var steps = plan?.Steps.Count ?? 0;
        var status = StatusName(result.Status);

        if (expect.Status is { } wanted && !string.Equals(wanted, status, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"status is {status}, expected {wanted}{(result.Error is null ? string.Empty : $" ({Cap(result.Error)})")}");
        }

        if (expect.PlanValidFirstAttempt is true)
        {
            if (rejected.Count > 0)
            {
                failures.Add($"plan_create was rejected {rejected.Count} time(s); first: {Cap(string.Join("; ", rejected[0].Problems.Take(3)))}");
            }
            else if (created.Count == 0)
            {
                failures.Add("no plan was made" + (result.Error is null ? string.Empty : $" ({Cap(result.Error)})"));
            }
        }

        if (expect.Steps is { } range && (steps < (range.Min ?? 0) || steps > (range.Max ?? int.MaxValue)))
        {
            failures.Add($"the plan has {steps} step(s), expected {range.Min?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "0"} to {range.Max?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any"}");
        }

        var used = Tools(subplans.Prepend(plan)).ToHashSet(StringComparer.Ordinal);
        foreach (var tool in expect.UsesTools.Where(t => !used.Contains(t)))
        {
            failures.Add($"no step calls {tool} (tools called: {(used.Count == 0 ? "none" : string.Join(", ", used.Order(StringComparer.Ordinal)))})");
        }

        var everUsed = Tools(result.PlanVersions.Concat(subplans).Prepend(plan)).ToHashSet(StringComparer.Ordinal);
        foreach (var tool in expect.AvoidsTools.Where(everUsed.Contains))
        {
            failures.Add($"a step calls {tool}, which the case avoids");
        }

        var verifySteps = plan?.Steps.Where(s => s.Kind == StepKind.Verify).ToList() ?? [];
        if (expect.HasVerifyStep is { } hasVerify && hasVerify != verifySteps.Count > 0)
        {
            failures.Add(hasVerify ? "the plan has no verify step" : $"the plan has a verify step ({verifySteps[0].Id}), expected none");
        }

        if (expect.VerificationPassed is true)
        {
            if (verifySteps.Count == 0)
            {
                failures.Add("no verify step ran, so nothing was verified");
            }

            foreach (var step in verifySteps)
            {
                var record = result.Steps.FirstOrDefault(s => s.StepId == step.Id);
                if (record is not { Status: StepStatus.Completed })
                {
                    failures.Add($"verify step {step.Id} did not pass ({(record is null ? "it never ran" : $"{record.Status}: {Cap(record.Error ?? "no reason given")}")})");
                }
            }
        }

        if (expect.MaxModelCalls is { } maxCalls && result.Usage.ModelCalls > maxCalls)
        {
            failures.Add($"{result.Usage.ModelCalls} model calls, expected at most {maxCalls}");
        }

        if (expect.MaxTokens is { } maxTokens && result.Usage.TotalTokens > maxTokens)
        {
            failures.Add($"{result.Usage.TotalTokens} tokens, expected at most {maxTokens}");
        }

        foreach (var term in expect.AnswerMentions.Where(t => !result.Answer.Contains(t, StringComparison.OrdinalIgnoreCase)))
        {
            failures.Add($"the answer does not mention '{term}'");
        }

        if (expect.AnswerMatches is { } pattern)
        {
            try
            {
                if (!Regex.IsMatch(result.Answer, pattern, RegexOptions.None, TimeSpan.FromSeconds(1)))
                {
                    failures.Add($"the answer does not match /{pattern}/");
                }
            }
            catch (RegexMatchTimeoutException)
            {
                failures.Add($"matching the answer against /{pattern}/ took over a second; simplify the pattern");
            }
        }

        return new EvalOutcome(c.Name, status, steps, attempts, result.Replans, result.Usage.ModelCalls, result.Usage.TotalTokens, result.Duration.TotalSeconds, failures);
    }

    /// <summary>The status as the suite and <c>--json</c> write it: completed, answered, budgetExhausted, ….</summary>
    public static string StatusName(AgentRunStatus status) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(status.ToString());

    private static IEnumerable<string> Tools(IEnumerable<Plan?> plans) =>
        plans.OfType<Plan>().SelectMany(p => p.Steps).SelectMany(s => new[] { s.Tool, s.Fallback?.Tool }).OfType<string>();

    private static IEnumerable<ExecutionEvent> Flatten(IEnumerable<ExecutionEvent> events) =>
        events.SelectMany(e => e is SubplanEvent sub ? Flatten([sub.Inner]).Prepend(e) : [e]);

    /// <summary>Untrusted text (model output, tool errors) in a reason: one line, at most 300 characters.</summary>
    private static string Cap(string text)
    {
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= 300 ? line : line[..299] + "…";
    }
}
