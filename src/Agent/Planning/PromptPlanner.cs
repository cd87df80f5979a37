using System.Text.Json;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Planning over the prompts: create (with validation feedback), reflect, revise, decompose and
/// route. A rejected answer goes back to the model with every problem found, a bounded number of
/// times; then a <see cref="PlanningFailedException"/> says what was wrong.
/// </summary>
internal sealed class PromptPlanner : IPlanner
{
    public async Task<Plan> CreateAsync(RunContext run, CancellationToken cancellationToken = default)
    {
        var goal = run.Goal;
        return await RequestPlanAsync(
            run,
            PromptNames.PlanCreate,
            feedback => new PlanCreateInputs(goal, run.ToolsText, run.AgentsText, run.Options.MaxSteps, run.ConversationText, feedback),
            reply => PlanReader.Parse(reply, goal),
            plan => Validate(run, plan, run.Options.MaxSteps),
            cancellationToken,
            streamSteps: run.StepWritten is not null).ConfigureAwait(false);
    }

    public async Task<PlanReview> ReflectAsync(RunContext run, Plan plan, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync(
            run,
            new PlanReflectInputs(plan.Goal ?? string.Empty, PlanJson.Serialize(plan), run.ToolsText, run.AgentsText, run.Options.MaxSteps),
            cancellationToken).ConfigureAwait(false);
        using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("approved", out _));
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("approved", out var approvedElement))
        {
            // An unreadable critique cannot improve the plan; the plan stands as it is.
            return new PlanReview(true, ["The reviewer's answer could not be read; the plan stands as it is."], plan);
        }

        var issues = root.TryGetProperty("issues", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : i.GetRawText()).ToList()
            : [];
        if (approvedElement.ValueKind != JsonValueKind.False || !root.TryGetProperty("plan", out var revisedElement))
        {
            return new PlanReview(true, issues, plan);
        }

        try
        {
            var revised = PlanReader.Parse(revisedElement.GetRawText(), plan.Goal);
            var problems = Validate(run, revised, run.Options.MaxSteps);
            if (problems.Count == 0)
            {
                return new PlanReview(false, issues, revised);
            }

            await run.EmitAsync(new PlanRejected { Stage = PromptNames.PlanReflect, Attempt = 1, Problems = problems }).ConfigureAwait(false);
        }
        catch (PlanParseException ex)
        {
            await run.EmitAsync(new PlanRejected { Stage = PromptNames.PlanReflect, Attempt = 1, Problems = ex.Problems }).ConfigureAwait(false);
        }

        // A revision that breaks the contract is worse than the plan it meant to fix.
        return new PlanReview(true, [.. issues, "The reviewer's revised plan was not valid; the plan stands as it is."], plan);
    }

    /// <summary>Plans the remaining work after a step failed; returns the merged plan.</summary>
    public async Task<Plan> ReviseAsync(RunContext run, PlanFailure failure, CancellationToken cancellationToken = default)
    {
        var (plan, records, failedStepId, error) = failure;
        var completed = records.Where(r => r.Status == StepStatus.Completed).Select(r => r.StepId).ToHashSet(StringComparer.Ordinal);
        var outputs = records.Where(r => r.Output is not null).ToDictionary(r => r.StepId, r => r.Output!, StringComparer.Ordinal);
        var completedSteps = plan.Steps.Where(s => completed.Contains(s.Id)).ToList();
        var failedStep = plan.FindStep(failedStepId);
        return await RequestPlanAsync(
            run,
            PromptNames.PlanRevise,
            feedback => new PlanReviseInputs(
                plan.Goal ?? string.Empty,
                PlanJson.Serialize(plan),
                PromptText.Outputs(plan, completedSteps.Select(s => s.Id), outputs, run.Options.MaxOutputCharsInPrompt),
                failedStep is null ? failedStepId : PlanJson.Serialize(new Plan([failedStep]), indented: false),
                error,
                run.ToolsText,
                run.AgentsText,
                run.Options.MaxSteps,
                feedback),
            reply =>
            {
                var remaining = PlanReader.Parse(reply, plan.Goal);
                var reused = remaining.Steps.Where(s => completed.Contains(s.Id)).Select(s => s.Id).ToList();
                if (reused.Count > 0)
                {
                    throw new PlanParseException([.. reused.Select(id => new PlanProblem(
                        PlanProblemCode.DuplicateId,
                        id,
                        $"'{id}' is a completed step; give only the remaining steps, with new ids, and depend on '{id}' instead of repeating it."))]);
                }

                // New steps may read completed ones with ${id}; those references are dependencies too.
                return ImpliedDependencies.Add(new Plan([.. completedSteps, .. remaining.Steps], plan.Goal));
            },
            merged => Validate(run, merged, run.Options.MaxSteps),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A child plan for a subgoal step, or null when the model calls it atomic.</summary>
    public async Task<Plan?> DecomposeAsync(RunContext run, PlanStep subgoal, string context, CancellationToken cancellationToken = default)
    {
        var atomic = false;
        var plan = await RequestPlanAsync(
            run,
            PromptNames.PlanDecompose,
            feedback => new PlanDecomposeInputs(run.Goal, subgoal.Description, context, run.ToolsText, run.AgentsText, run.Options.MaxChildSteps, feedback),
            reply =>
            {
                using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && (e.TryGetProperty("atomic", out _) || e.TryGetProperty("steps", out _)));
                if (document?.RootElement is { ValueKind: JsonValueKind.Object } root
                    && root.TryGetProperty("atomic", out var flag) && flag.ValueKind == JsonValueKind.True)
                {
                    atomic = true;
                    return new Plan([new PlanStep { Id = "atomic" }]);
                }

                return PlanReader.Parse(reply, subgoal.Description);
            },
            child => atomic ? [] : Validate(run, child, run.Options.MaxChildSteps),
            cancellationToken).ConfigureAwait(false);
        return atomic ? null : plan;
    }

    private static async Task<Plan> RequestPlanAsync(
        RunContext run,
        string prompt,
        Func<string, PromptInputs> inputs,
        Func<string, Plan> parse,
        Func<Plan, IReadOnlyList<PlanProblem>> validate,
        CancellationToken cancellationToken,
        bool streamSteps = false)
    {
        var feedback = string.Empty;
        IReadOnlyList<PlanProblem> problems = [];
        for (var attempt = 1; attempt <= run.Options.MaxPlanAttempts; attempt++)
        {
            var reply = streamSteps
                ? await CallStreamingAsync(run, inputs(feedback), cancellationToken).ConfigureAwait(false)
                : await CallAsync(run, inputs(feedback), cancellationToken).ConfigureAwait(false);
            try
            {
                var plan = parse(reply);
                problems = validate(plan);
                if (problems.Count == 0)
                {
                    return plan;
                }
            }
            catch (PlanParseException ex)
            {
                problems = ex.Problems;
            }

            await run.EmitAsync(new PlanRejected { Stage = prompt, Attempt = attempt, Problems = problems }).ConfigureAwait(false);
            feedback = await run.Gateway.Prompts.RenderFragmentAsync(
                prompt,
                new PlanFeedbackInputs(string.Join('\n', problems.Select(p => "- " + p)), PromptText.Short(reply, 4_000)),
                cancellationToken).ConfigureAwait(false);
        }

        throw new PlanningFailedException(prompt, run.Options.MaxPlanAttempts, problems);
    }

    private static IReadOnlyList<PlanProblem> Validate(RunContext run, Plan plan, int maxSteps) =>
        new PlanValidator(new PlanValidationOptions { MaxSteps = maxSteps }).Check(plan, run.Kernel.Plugins, [.. run.Options.Agents.Keys]);

    /// <summary>
    /// Like <see cref="CallAsync"/>, but streamed: each step the reply closes is read at once, checked
    /// against everything checkable so far (id, tool, arguments, references to steps already seen),
    /// and handed to <see cref="RunContext.StepWritten"/>, so it can start while the rest is written.
    /// </summary>
    private static async Task<string> CallStreamingAsync(RunContext run, PromptInputs inputs, CancellationToken cancellationToken)
    {
        var reader = new PlanStreamReader();
        var text = new System.Text.StringBuilder();
        var seen = new List<PlanStep>();
        try
        {
            await foreach (var piece in run.Gateway.InvokeStreamingAsync(inputs, cancellationToken).ConfigureAwait(false))
            {
                text.Append(piece);
                foreach (var written in reader.Feed(piece))
                {
                    if (!PlanReader.TryParse("{\"steps\":[" + written + "]}", out var partial, out _, run.Goal) || partial is null)
                    {
                        continue;
                    }

                    foreach (var step in partial.Steps)
                    {
                        seen.Add(step);
                        var problems = Validate(run, new Plan([.. seen], run.Goal), run.Options.MaxSteps);
                        if (!problems.Any(p => p.StepId == step.Id))
                        {
                            run.StepWritten?.Invoke(step);
                        }
                    }
                }
            }

            return text.ToString();
        }
        catch (ModelCallException ex) when (ex.IsIncomplete)
        {
            // A stream that was not whole (cut off, empty, not an event stream): ask again without
            // streaming, as the answer does. What started from it is judged against the final plan.
        }

        return await CallAsync(run, inputs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A prompt's reply text; a malformed, cut-off or truncated reply is asked again, a bounded number of times.</summary>
    internal static async Task<string> CallAsync(RunContext run, PromptInputs inputs, CancellationToken cancellationToken)
    {
        const int MalformedRetries = 2;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await run.Gateway.InvokeAsync(inputs, cancellationToken: cancellationToken).ConfigureAwait(false);
                return result.GetValue<string>() ?? string.Empty;
            }
            catch (ModelCallException ex) when (ex.IsIncomplete && attempt < MalformedRetries)
            {
                // A malformed, cut-off or truncated answer at HTTP 200 is a fault the HTTP retries
                // do not see: ask again, a bounded number of times. (An empty reply is not an error
                // here: it goes back to the planner with feedback, like any reply that is not a plan.)
            }
        }
    }
}
