using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Telemetry;

namespace Plansmith.Agent.Planning;

/// <summary>What the router decided.</summary>
internal sealed record RouteDecision(bool NeedsPlan, string Answer);

/// <summary>One round of critique.</summary>
internal sealed record ReflectionOutcome(bool Approved, IReadOnlyList<string> Issues, Plan Plan);

/// <summary>
/// Planning over the prompts: create (with validation feedback), reflect, revise, decompose and
/// route. A rejected answer goes back to the model with every problem found, a bounded number of
/// times; then a <see cref="PlanningFailedException"/> says what was wrong.
/// </summary>
internal sealed class PromptPlanner
{
    private readonly ModelGateway _gateway;
    private readonly Kernel _kernel;
    private readonly PlansmithOptions _options;
    private readonly RunEvents _events;
    private readonly string _tools;
    private readonly string _agents;

    public PromptPlanner(ModelGateway gateway, Kernel kernel, PlansmithOptions options, RunEvents events)
    {
        _gateway = gateway;
        _kernel = kernel;
        _options = options;
        _events = events;
        _tools = PromptText.Tools(kernel.Plugins);
        _agents = PromptText.Agents(options.Agents);
    }

    public string ToolsText => _tools;

    public async Task<RouteDecision> RouteAsync(string request, CancellationToken cancellationToken)
    {
        using var span = PlansmithTelemetry.Start("route");
        var reply = await CallAsync(new RouteInputs(request, _tools), cancellationToken).ConfigureAwait(false);
        using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("plan", out _));
        if (document?.RootElement is { ValueKind: JsonValueKind.Object } root
            && root.TryGetProperty("plan", out var plan) && plan.ValueKind == JsonValueKind.False
            && root.TryGetProperty("answer", out var answer) && answer.ValueKind == JsonValueKind.String
            && !string.IsNullOrWhiteSpace(answer.GetString()))
        {
            return new RouteDecision(false, answer.GetString()!);
        }

        // Anything else, garbage included, means: plan it. Planning is the safe default.
        return new RouteDecision(true, string.Empty);
    }

    public async Task<Plan> CreateAsync(string goal, string? context, CancellationToken cancellationToken)
    {
        using var span = PlansmithTelemetry.Start("plan");
        var plan = await RequestPlanAsync(
            PromptNames.PlanCreate,
            feedback => new PlanCreateInputs(goal, _tools, _agents, _options.MaxSteps, context ?? string.Empty, feedback),
            reply => PlanReader.Parse(reply, goal),
            plan => Validate(plan, _options.MaxSteps),
            cancellationToken).ConfigureAwait(false);
        span?.SetTag("plansmith.plan.steps", plan.Steps.Count);
        return plan;
    }

    public async Task<ReflectionOutcome> ReflectAsync(Plan plan, CancellationToken cancellationToken)
    {
        using var span = PlansmithTelemetry.Start("reflect");
        var reply = await CallAsync(
            new PlanReflectInputs(plan.Goal ?? string.Empty, PlanJson.Serialize(plan), _tools, _agents, _options.MaxSteps),
            cancellationToken).ConfigureAwait(false);
        using var document = ModelReplyJson.Extract(reply, e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("approved", out _));
        if (document?.RootElement is not { ValueKind: JsonValueKind.Object } root || !root.TryGetProperty("approved", out var approvedElement))
        {
            // An unreadable critique cannot improve the plan; the plan stands as it is.
            return new ReflectionOutcome(true, ["The reviewer's answer could not be read; the plan stands as it is."], plan);
        }

        var issues = root.TryGetProperty("issues", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String ? i.GetString()! : i.GetRawText()).ToList()
            : [];
        if (approvedElement.ValueKind != JsonValueKind.False || !root.TryGetProperty("plan", out var revisedElement))
        {
            return new ReflectionOutcome(true, issues, plan);
        }

        try
        {
            var revised = PlanReader.Parse(revisedElement.GetRawText(), plan.Goal);
            var problems = Validate(revised, _options.MaxSteps);
            if (problems.Count == 0)
            {
                return new ReflectionOutcome(false, issues, revised);
            }

            await _events.EmitAsync(new PlanRejected { Timestamp = _events.Now, Progress = _events.Progress, Stage = PromptNames.PlanReflect, Attempt = 1, Problems = problems }).ConfigureAwait(false);
        }
        catch (PlanParseException ex)
        {
            await _events.EmitAsync(new PlanRejected { Timestamp = _events.Now, Progress = _events.Progress, Stage = PromptNames.PlanReflect, Attempt = 1, Problems = ex.Problems }).ConfigureAwait(false);
        }

        // A revision that breaks the contract is worse than the plan it meant to fix.
        return new ReflectionOutcome(true, [.. issues, "The reviewer's revised plan was not valid; the plan stands as it is."], plan);
    }

    /// <summary>Plans the remaining work after <paramref name="failedStepId"/> failed; returns the merged plan.</summary>
    public async Task<Plan> ReviseAsync(Plan plan, IReadOnlyList<StepRecord> records, string failedStepId, string error, CancellationToken cancellationToken)
    {
        using var span = PlansmithTelemetry.Start("replan");
        span?.SetTag("plansmith.step.id", failedStepId);
        var completed = records.Where(r => r.Status == StepStatus.Completed).Select(r => r.StepId).ToHashSet(StringComparer.Ordinal);
        var outputs = records.Where(r => r.Output is not null).ToDictionary(r => r.StepId, r => r.Output!, StringComparer.Ordinal);
        var completedSteps = plan.Steps.Where(s => completed.Contains(s.Id)).ToList();
        var failedStep = plan.FindStep(failedStepId);
        return await RequestPlanAsync(
            PromptNames.PlanRevise,
            feedback => new PlanReviseInputs(
                plan.Goal ?? string.Empty,
                PlanJson.Serialize(plan),
                PromptText.Outputs(plan, completedSteps.Select(s => s.Id), outputs, _options.MaxOutputCharsInPrompt),
                failedStep is null ? failedStepId : PlanJson.Serialize(new Plan([failedStep]), indented: false),
                error,
                _tools,
                _agents,
                _options.MaxSteps,
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

                return new Plan([.. completedSteps, .. remaining.Steps], plan.Goal);
            },
            merged => Validate(merged, _options.MaxSteps),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A child plan for a subgoal step, or null when the model calls it atomic.</summary>
    public async Task<Plan?> DecomposeAsync(string goal, PlanStep subgoal, string context, CancellationToken cancellationToken)
    {
        using var span = PlansmithTelemetry.Start("decompose");
        var atomic = false;
        var plan = await RequestPlanAsync(
            PromptNames.PlanDecompose,
            feedback => new PlanDecomposeInputs(goal, subgoal.Description, context, _tools, _agents, _options.MaxChildSteps, feedback),
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
            child => atomic ? [] : Validate(child, _options.MaxChildSteps),
            cancellationToken).ConfigureAwait(false);
        return atomic ? null : plan;
    }

    private async Task<Plan> RequestPlanAsync(
        string prompt,
        Func<string, PromptInputs> inputs,
        Func<string, Plan> parse,
        Func<Plan, IReadOnlyList<PlanProblem>> validate,
        CancellationToken cancellationToken)
    {
        var feedback = string.Empty;
        IReadOnlyList<PlanProblem> problems = [];
        for (var attempt = 1; attempt <= _options.MaxPlanAttempts; attempt++)
        {
            var reply = await CallAsync(inputs(feedback), cancellationToken).ConfigureAwait(false);
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

            await _events.EmitAsync(new PlanRejected { Timestamp = _events.Now, Progress = _events.Progress, Stage = prompt, Attempt = attempt, Problems = problems }).ConfigureAwait(false);
            feedback = await _gateway.Prompts.RenderFragmentAsync(
                prompt,
                new PlanFeedbackInputs(string.Join('\n', problems.Select(p => "- " + p)), PromptText.Short(reply, 4_000)),
                cancellationToken).ConfigureAwait(false);
        }

        throw new PlanningFailedException(prompt, _options.MaxPlanAttempts, problems);
    }

    private IReadOnlyList<PlanProblem> Validate(Plan plan, int maxSteps) =>
        new PlanValidator(new PlanValidationOptions { MaxSteps = maxSteps }).Check(plan, _kernel.Plugins, [.. _options.Agents.Keys]);

    private async Task<string> CallAsync(PromptInputs inputs, CancellationToken cancellationToken)
    {
        const int MalformedRetries = 2;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var result = await _gateway.InvokeAsync(inputs, cancellationToken: cancellationToken).ConfigureAwait(false);
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
