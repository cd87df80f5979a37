using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning;

/// <summary>
/// The agent through its public API, one test per pattern. The chat service is SK's real OpenAI
/// connector talking to a scripted model, so requests and replies cross the real wire format.
/// </summary>
public sealed class PlanningAgentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static object Step(string id, string description, string[]? dependencies = null, string? tool = null, object? arguments = null, string? kind = null, string? agent = null) =>
        new { id, description, dependencies = dependencies ?? [], tool, arguments, kind = kind ?? "action", agent };

    private static ModelReply Plan(params object[] steps) => ModelReply.Json(new { steps });

    private static ModelReply Answer(string text) => new(text, InputTokens: 50, OutputTokens: 30);

    [Fact]
    public async Task RunAsync_Linear_RunsStepsInOrderAndSumsUsage()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(
                Step("s1", "Add the numbers", tool: "math.add", arguments: new { a = 2, b = 3 }),
                Step("s2", "Explain ${s1}", ["s1"]),
                Step("s3", "Conclude from ${s2}", ["s2"])),
            "step_execute" => new ModelReply("explained: " + r.User[(r.User.IndexOf("Step: ", StringComparison.Ordinal) + 6)..].Split('\n')[0]),
            "synthesize" => Answer("The sum is 5."),
            _ => throw new InvalidOperationException("unexpected " + r.Prompt),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseMode(PlanningMode.Linear)));

        var result = await agent.RunAsync("What is 2 + 3, explained?");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("The sum is 5.", result.Answer);
        Assert.Equal("5", result["s1"].Output);
        Assert.Equal("explained: Explain 5", result["s2"].Output);
        var executes = model.RequestsFor("step_execute");
        Assert.Equal(2, executes.Count);
        Assert.Contains("Explain 5", executes[0].User, StringComparison.Ordinal);
        Assert.True(result["s2"].EndedAt <= result["s3"].StartedAt);
        // plan_create + two model steps + the answer; the tool step cost no model call.
        Assert.Equal(4, result.Usage.ModelCalls);
        Assert.Equal(100 + 100 + 100 + 50, result.Usage.InputTokens);
        Assert.Equal(20 + 20 + 20 + 30, result.Usage.OutputTokens);
        Assert.IsType<RunCompleted>(result.Events[^1]);
        Assert.Single(result.Events.OfType<PlanCreated>());
        Assert.Equal("synthesize", model.Requests[^1].Prompt);
        Assert.True(model.Requests[^1].Stream);
    }

    [Fact]
    public async Task RunAsync_Dag_RunsIndependentModelStepsAtTheSameTime()
    {
        var arrived = 0;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedModel(async r =>
        {
            switch (r.Prompt)
            {
                case "plan_create":
                    return Plan(Step("a", "Research A"), Step("b", "Research B"), Step("c", "Research C"), Step("join", "Compare ${a}, ${b} and ${c}", ["a", "b", "c"]));
                case "step_execute" when !r.User.Contains("Step: Compare", StringComparison.Ordinal):
                    // Each branch waits until all three model calls are in flight: only parallel steps get past.
                    if (Interlocked.Increment(ref arrived) == 3)
                    {
                        allArrived.SetResult();
                    }

                    await allArrived.Task.WaitAsync(Patience);
                    return new ModelReply("finding " + r.User.Split("Step: ")[1].Split('\n')[0]);
                case "step_execute":
                    return new ModelReply("comparison");
                default:
                    return Answer("done");
            }
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseMode(PlanningMode.Dag)));

        var result = await agent.RunAsync("Compare A, B and C").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var join = model.RequestsFor("step_execute").Single(r => r.User.Contains("Step: Compare", StringComparison.Ordinal));
        Assert.Contains("finding Research A", join.User, StringComparison.Ordinal);
        Assert.Contains("finding Research C", join.User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Hierarchical_ExpandsSubgoalIntoChildPlanWhoseResultIsTheStepOutput()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(
                Step("s1", "Get the base", tool: "math.add", arguments: new { a = 1, b = 1 }),
                Step("s2", "Scale the base ${s1} twice", ["s1"], kind: "subgoal"),
                Step("s3", "Report ${s2}", ["s2"])),
            "plan_decompose" => ModelReply.Json(new
            {
                atomic = false,
                steps = new object[]
                {
                    Step("c1", "Scale once", tool: "math.scale", arguments: new { value = 2, factor = 10 }),
                    Step("c2", "Scale again", ["c1"], tool: "math.scale", arguments: new { value = "${c1}", factor = 10 }),
                },
            }),
            "step_execute" => new ModelReply("report of " + (r.User.Contains("200", StringComparison.Ordinal) ? "200" : "?")),
            _ => Answer("It is 200."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.UseMode(PlanningMode.Hierarchical)));

        var result = await agent.RunAsync("Scale 2 twice by ten");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal("200", result["s2"].Output);
        Assert.Equal("report of 200", result["s3"].Output);
        var decompose = Assert.Single(model.RequestsFor("plan_decompose"));
        Assert.Contains("Scale the base 2 twice", decompose.User, StringComparison.Ordinal);
        var created = Assert.Single(result.Events.OfType<SubplanCreated>());
        Assert.Equal("s2", created.ParentStepId);
        Assert.Equal(1, created.Depth);
        Assert.Contains(result.Events.OfType<SubplanEvent>(), e => e.Inner is StepCompleted { StepId: "c2" });
    }

    [Fact]
    public async Task RunAsync_SubgoalAtMaxDepth_IsDoneAsOneModelStep()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Big part", kind: "subgoal")),
            "plan_decompose" => ModelReply.Json(new { atomic = false, steps = new object[] { Step("c1", "Nested part", kind: "subgoal"), Step("c2", "Other part") } }),
            "step_execute" => new ModelReply("did " + r.User.Split("Step: ")[1].Split('\n')[0]),
            _ => Answer("ok"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxDepth = 1));

        var result = await agent.RunAsync("A big goal");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        // One expansion only: the nested subgoal at depth 1 = MaxDepth runs as a plain model step.
        Assert.Single(model.RequestsFor("plan_decompose"));
        Assert.Contains(model.RequestsFor("step_execute"), r => r.User.Contains("Step: Nested part", StringComparison.Ordinal));
        Assert.Contains("did Nested part", result["s1"].Output, StringComparison.Ordinal);
        Assert.Contains("did Other part", result["s1"].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_Adaptive_RevisesAfterFailureAndKeepsCompletedResults()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(
                Step("s0", "Base", tool: "math.add", arguments: new { a = 20, b = 1 }),
                Step("s1", "Fetch", tool: "text.fail", arguments: new { message = "source offline" }),
                Step("s2", "Combine ${s0} and ${s1}", ["s0", "s1"])),
            "plan_revise" => Plan(
                Step("r1", "Use the base instead", ["s0"], tool: "math.scale", arguments: new { value = "${s0}", factor = 2 }),
                Step("r2", "Combine ${r1}", ["r1"])),
            "step_execute" => new ModelReply("combined " + (r.User.Contains("42", StringComparison.Ordinal) ? "42" : "?")),
            _ => Answer("42"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxReplans = 1));

        var result = await agent.RunAsync("Get 42");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(1, result.Replans);
        Assert.Equal(["s0", "r1", "r2"], result.Plan!.Steps.Select(s => s.Id));
        Assert.Equal("21", result["s0"].Output);
        Assert.Equal("combined 42", result["r2"].Output);
        var revise = Assert.Single(model.RequestsFor("plan_revise"));
        Assert.Contains("source offline", revise.User, StringComparison.Ordinal);
        Assert.Contains("### s0: Base\n21", revise.User, StringComparison.Ordinal);
        var replanned = Assert.Single(result.Events.OfType<Replanned>());
        Assert.Equal("s1", replanned.FailedStepId);
        // s0 ran once: the second execution restored it instead of running it again.
        Assert.Single(result.Events.OfType<StepStarted>(), e => e.StepId == "s0");
        Assert.Equal(2, result.PlanVersions.Count);
    }

    [Fact]
    public async Task RunAsync_ReplanLimitReached_FailsWithAnHonestPartialAnswer()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Fetch", tool: "text.fail", arguments: new { message = "down" })),
            "plan_revise" => Plan(Step("r" + Guid.NewGuid().ToString("N")[..4], "Fetch again", tool: "text.fail", arguments: new { message = "still down" })),
            _ => Answer("I could not fetch the data."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxReplans = 2));

        var result = await agent.RunAsync("Fetch the data");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Equal(2, result.Replans);
        Assert.Equal(2, model.RequestsFor("plan_revise").Count);
        Assert.Contains("No replans left (MaxReplans = 2)", result.Error, StringComparison.Ordinal);
        Assert.Contains("some steps failed", model.RequestsFor("synthesize").Single().User, StringComparison.Ordinal);
        Assert.True(result.Events.OfType<AnswerCompleted>().Single().Partial);
        Assert.Equal("I could not fetch the data.", result.Answer);
    }

    [Fact]
    public async Task RunAsync_Reflection_ReplacesRejectedPlanThenStopsWhenApproved()
    {
        var reflections = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Do it all in one go")),
            "plan_reflect" => Interlocked.Increment(ref reflections) == 1
                ? ModelReply.Json(new { approved = false, issues = new[] { "too coarse" }, plan = new { steps = new object[] { Step("a", "First half"), Step("b", "Second half", ["a"]) } } })
                : ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            "step_execute" => new ModelReply("done"),
            _ => Answer("ok"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxReflectionRounds = 3));

        var result = await agent.RunAsync("Do the thing");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal([false, true], result.Events.OfType<PlanReflected>().Select(e => e.Approved));
        Assert.Equal(2, model.RequestsFor("plan_reflect").Count);
        Assert.Equal(["a", "b"], result.Plan!.Steps.Select(s => s.Id));
        Assert.Contains("\"Do it all in one go\"", model.RequestsFor("plan_reflect")[0].User, StringComparison.Ordinal);
        Assert.Equal("json_object", model.RequestsFor("plan_reflect")[0].ResponseFormat);
    }

    [Fact]
    public async Task RunAsync_RouterSaysSimple_AnswersWithoutAPlan()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = false, answer = "Hello! How can I help?" }),
            _ => throw new InvalidOperationException("no plan expected"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.UseRouter = true; o.PlanWhileRouting = false; }));

        var result = await agent.RunAsync("hi");

        Assert.Equal(AgentRunStatus.Answered, result.Status);
        Assert.Equal("Hello! How can I help?", result.Answer);
        Assert.Null(result.Plan);
        Assert.Equal(["route"], model.Requests.Select(r => r.Prompt));
        Assert.False(Assert.Single(result.Events.OfType<RouteDecided>()).NeedsPlan);
    }

    [Fact]
    public async Task RunAsync_RouterSaysPlan_GoesOnToPlan()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 })),
            _ => Answer("3"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.UseRouter = true; o.PlanWhileRouting = false; }));

        var result = await agent.RunAsync("Add 1 and 2 with the tool");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["route", "plan_create", "synthesize"], model.Requests.Select(r => r.Prompt));
    }

    [Fact]
    public async Task RunAsync_FailedVerification_FailsTheStepWithoutRetrying()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Count the items"), Step("v1", "Every item of ${s1} is counted", ["s1"], kind: "verify")),
            "step_execute" => new ModelReply("3 items"),
            "step_verify" => ModelReply.Json(new { passed = false, reason = "there are 4 items" }),
            _ => Answer("Unverified: 3 items"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Execution.MaxRetries = 2; o.MaxReplans = 0; }));

        var result = await agent.RunAsync("Count the items");

        Assert.Equal(AgentRunStatus.Failed, result.Status);
        Assert.Equal(StepStatus.Failed, result["v1"].Status);
        Assert.Equal("Verification failed: there are 4 items", result["v1"].Error);
        Assert.Equal(1, result["v1"].Attempts);
        Assert.Single(model.RequestsFor("step_verify"));
        Assert.DoesNotContain(result.Events, e => e is StepRetrying { StepId: "v1" });
        Assert.Contains("3 items", model.RequestsFor("step_verify")[0].User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_FailedVerificationWithFallback_GoesStraightToTheFallback()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => ModelReply.Json(new
            {
                steps = new object[]
                {
                    Step("s1", "Count the items"),
                    new { id = "v1", description = "Every item of ${s1} is counted", dependencies = new[] { "s1" }, kind = "verify", fallback = new { description = "At least three items of ${s1} are counted" } },
                },
            }),
            "step_execute" => new ModelReply("3 items"),
            "step_verify" when r.User.Contains("At least three", StringComparison.Ordinal) => ModelReply.Json(new { passed = true, reason = "3 items counted" }),
            "step_verify" => ModelReply.Json(new { passed = false, reason = "there are 4 items" }),
            _ => Answer("3 or 4 items"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Execution.MaxRetries = 2; o.MaxReplans = 0; }));

        var result = await agent.RunAsync("Count the items");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.True(result["v1"].UsedFallback);

        // One verdict on the claim, then the fallback's own check: no second ask of the same claim.
        Assert.Equal(["Every item of 3 items is counted", "At least three items of 3 items are counted"], model.RequestsFor("step_verify").Select(r => r.User.Split('\n').First(l => l.StartsWith("Claim to check:", StringComparison.Ordinal))["Claim to check:".Length..].Trim()));
        Assert.DoesNotContain(result.Events, e => e is StepRetrying);
        var fallback = Assert.Single(result.Events.OfType<StepFallbackStarted>());
        Assert.Equal("Verification failed: there are 4 items", fallback.Error);
    }

    [Fact]
    public async Task RunAsync_FailedVerificationWithReplans_ReplansAfterOneVerdict()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Count the items"), Step("v1", "Every item of ${s1} is counted", ["s1"], kind: "verify")),
            "plan_revise" => Plan(Step("r1", "Recount the items", ["s1"])),
            "step_execute" => new ModelReply("3 items"),
            "step_verify" => ModelReply.Json(new { passed = false, reason = "there are 4 items" }),
            _ => Answer("3 or 4 items"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Execution.MaxRetries = 2; o.MaxReplans = 1; }));

        var result = await agent.RunAsync("Count the items");

        Assert.Single(model.RequestsFor("step_verify"));
        Assert.DoesNotContain(result.Events, e => e is StepRetrying);
        var replanned = Assert.Single(result.Events.OfType<Replanned>());
        Assert.Equal("v1", replanned.FailedStepId);
        Assert.Equal("Verification failed: there are 4 items", replanned.Error);
    }

    [Fact]
    public async Task RunAsync_UnreadableVerdict_IsRetried()
    {
        var verdicts = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Count the items"), Step("v1", "Every item of ${s1} is counted", ["s1"], kind: "verify")),
            "step_execute" => new ModelReply("3 items"),
            "step_verify" => Interlocked.Increment(ref verdicts) == 1 ? new ModelReply("I think so?") : ModelReply.Json(new { passed = true, reason = "3 items counted" }),
            _ => Answer("3 items"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Execution.MaxRetries = 2; o.MaxReplans = 0; }));

        var result = await agent.RunAsync("Count the items");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, model.RequestsFor("step_verify").Count);
        Assert.Single(result.Events.OfType<StepRetrying>(), e => e.StepId == "v1");
    }

    [Fact]
    public async Task RunAsync_PassedVerification_OutputsTheVerdict()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Sum", tool: "math.add", arguments: new { a = 2, b = 2 }), Step("v1", "${s1} equals 4", ["s1"], kind: "verify")),
            "step_verify" => ModelReply.Json(new { passed = true, reason = "2 + 2 = 4" }),
            _ => Answer("4"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Is 2 + 2 four?");

        Assert.Equal("""{"passed":true,"reason":"2 \u002B 2 = 4"}""", result["v1"].Output);
        Assert.Contains("Claim to check: 4 equals 4", model.RequestsFor("step_verify")[0].User, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_BudgetRunsOut_NoNewStepStartsAndThePartialAnswerSaysSo()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Part one"), Step("s2", "Part two", ["s1"]), Step("s3", "Part three", ["s2"])),
            "step_execute" => new ModelReply("done"),
            _ => Answer("Incomplete: only part one is done."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.Budget.MaxModelCalls = 2; o.MaxReplans = 2; }));

        var result = await agent.RunAsync("Do three parts");

        Assert.Equal(AgentRunStatus.BudgetExhausted, result.Status);
        Assert.Equal(StepStatus.Completed, result["s1"].Status);
        Assert.NotEqual(StepStatus.Completed, result["s2"].Status);
        Assert.Single(model.RequestsFor("step_execute"));
        Assert.Empty(model.RequestsFor("plan_revise"));
        Assert.Contains("limit of 2 model calls", result.Error, StringComparison.Ordinal);
        Assert.Contains("incomplete", model.RequestsFor("synthesize").Single().User, StringComparison.Ordinal);
        Assert.Equal("Incomplete: only part one is done.", result.Answer);
        Assert.Contains(result.Events, e => e is BudgetExhausted);
        Assert.Equal(3, result.Usage.ModelCalls);
    }

    [Fact]
    public async Task RunAsync_MalformedPlans_GetValidationFeedbackUntilValid()
    {
        var attempts = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Interlocked.Increment(ref attempts) switch
            {
                1 => new ModelReply("Sure, I will first add and then explain."),
                2 => Plan(Step("s1", "Add", tool: "math.ad", arguments: new { a = 1, b = 2 }), Step("s2", "Explain", ["s9"])),
                _ => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 2 })),
            },
            _ => Answer("3"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Add 1 and 2");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var creates = model.RequestsFor("plan_create");
        Assert.Equal(3, creates.Count);
        Assert.DoesNotContain("rejected", creates[0].User, StringComparison.Ordinal);
        Assert.Contains("holds no valid JSON", creates[1].User, StringComparison.Ordinal);
        Assert.Contains("Did you mean 'math.add'?", creates[2].User, StringComparison.Ordinal);
        Assert.Contains("depends on 's9'", creates[2].User, StringComparison.Ordinal);
        Assert.Equal([1, 2], result.Events.OfType<PlanRejected>().Select(e => e.Attempt));
        Assert.Equal(3, result.Events.OfType<PlanCreated>().Single().Attempt);
    }

    [Fact]
    public async Task RunAsync_NoValidPlanWithinAttempts_IsRejectedWithTheLastProblems()
    {
        var model = new ScriptedModel(r => new ModelReply("I refuse to make plans."));
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxPlanAttempts = 2));

        var result = await agent.RunAsync("Anything");

        Assert.Equal(AgentRunStatus.Rejected, result.Status);
        Assert.Equal(2, model.RequestsFor("plan_create").Count);
        Assert.Contains("No valid plan after 2 attempt(s)", result.Error, StringComparison.Ordinal);
        Assert.Empty(model.RequestsFor("synthesize"));
    }

    [Fact]
    public async Task RunAsync_ModelThatNeverStopsCallingTools_IsStoppedByOurBudget()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Echo forever")),
            "step_execute" => ModelReply.Call("text-echo", new { text = "again" }),
            _ => Answer("stopped"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => { o.MaxToolCallsPerStep = 3; o.MaxReplans = 0; }));

        var result = await agent.RunAsync("Loop");

        Assert.Equal(StepStatus.Failed, result["s1"].Status);
        Assert.Contains("made 3 tool calls, its limit", result["s1"].Error, StringComparison.Ordinal);
        // The first request and one after each of the three allowed calls; SK alone would go on to 128.
        Assert.Equal(4, model.RequestsFor("step_execute").Count);
        Assert.Equal(3, model.RequestsFor("step_execute")[^1].ToolResults.Count);
    }

    [Fact]
    public async Task RunAsync_AgentProfile_LimitsToolsAndAddsInstructions()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Analyse the numbers", agent: "analyst")),
            "step_execute" => new ModelReply("analysed"),
            _ => Answer("ok"),
        });
        var options = TestAgents.Options(o => o.Agents["analyst"] = new Agents.AgentProfile { Instructions = "You analyse numbers carefully.", Plugins = ["math"] });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), options);

        var result = await agent.RunAsync("Analyse");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var execute = Assert.Single(model.RequestsFor("step_execute"));
        Assert.Contains("You analyse numbers carefully.", execute.System, StringComparison.Ordinal);
        Assert.NotEmpty(execute.Tools);
        Assert.All(execute.Tools, t => Assert.StartsWith("math-", t, StringComparison.Ordinal));
        Assert.Contains("- analyst — You analyse numbers carefully. (tools: math)", model.RequestsFor("plan_create")[0].System, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnknownAgentInPlan_IsAValidationErrorFedBack()
    {
        var attempts = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Interlocked.Increment(ref attempts) == 1
                ? Plan(Step("s1", "Analyse", agent: "wizard"))
                : Plan(Step("s1", "Analyse")),
            "step_execute" => new ModelReply("done"),
            _ => Answer("ok"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Analyse");

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Contains(result.Events.OfType<PlanRejected>().Single().Problems, p => p.Code == PlanProblemCode.UnknownAgent);
    }

    [Fact]
    public async Task RunAsync_ApproverRejects_NothingRuns()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Delete everything")),
            _ => throw new InvalidOperationException("nothing may run"),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), approver: new FixedApprover(PlanApproval.Reject("too risky")));

        var result = await agent.RunAsync("Clean up");

        Assert.Equal(AgentRunStatus.Rejected, result.Status);
        Assert.Single(result.Events.OfType<PlanApprovalRequested>());
        Assert.Equal(["plan_create"], model.Requests.Select(r => r.Prompt));
    }

    [Fact]
    public async Task RunAsync_ApproverEdits_TheEditedPlanRuns()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 1 })),
            _ => Answer("ok"),
        });
        var edited = PlanReader.Parse("""{"steps": [{"id": "e1", "description": "Add more", "tool": "math.add", "arguments": {"a": 40, "b": 2}}]}""");
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(), approver: new FixedApprover(PlanApproval.Edit(edited)));

        var result = await agent.RunAsync("Add");

        Assert.Equal("42", result["e1"].Output);
    }

    [Fact]
    public async Task RunStreamingAsync_YieldsPlanningStepAndAnswerEventsInOrder()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => Plan(Step("s1", "Add", tool: "math.add", arguments: new { a = 1, b = 1 })),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => Answer("The answer is two, as computed by the math tool."),
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options(o => o.MaxReflectionRounds = 1));
        var kinds = new List<string>();
        var deltas = new List<string>();

        await foreach (var e in agent.RunStreamingAsync("Add one and one"))
        {
            if (e is AnswerDelta delta)
            {
                deltas.Add(delta.Text);
            }
            else
            {
                kinds.Add(e.GetType().Name);
            }
        }

        Assert.Equal(["RunStarted", "PlanCreated", "PlanReflected", "PlanApprovalRequested", "PlanApproved", "StepStarted", "StepCompleted", "PlanCompleted", "AnswerCompleted", "RunCompleted"], kinds);
        Assert.True(deltas.Count > 1);
        Assert.Equal("The answer is two, as computed by the math tool.", string.Concat(deltas));
    }

    [Fact]
    public async Task RunAsync_Cancelled_EndsCancelledWithoutAnAnswer()
    {
        using var cts = new CancellationTokenSource();
        var model = new ScriptedModel(async r =>
        {
            if (r.Prompt == "plan_create")
            {
                return Plan(Step("s1", "Slow"));
            }

            await cts.CancelAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
            return new ModelReply("late");
        });
        using var agent = new PlanningAgent(TestAgents.Kernel(model), TestAgents.Options());

        var result = await agent.RunAsync("Slow goal", cancellationToken: cts.Token).WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Cancelled, result.Status);
        Assert.Equal(StepStatus.Cancelled, result["s1"].Status);
        Assert.Empty(model.RequestsFor("synthesize"));
    }

    private sealed class FixedApprover(PlanApproval decision) : IPlanApprover
    {
        public ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default) => ValueTask.FromResult(decision);
    }
}
