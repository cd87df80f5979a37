using System.ComponentModel;
using System.Text.Json;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport.OpenAI;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.Planning.Speculation;

/// <summary>Steps that start while their plan is still being written, reviewed or approved.</summary>
public sealed class SpeculationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>A read-only lookup and a side-effecting write, each counting its calls; the lookup can be held until released.</summary>
    public sealed class Desk
    {
        private readonly List<string> _lookups = [];
        private int _writes;

        public TaskCompletionSource FirstLookup { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource? Hold { get; set; }

        public TaskCompletionSource LookupCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Lookups
        {
            get
            {
                lock (_lookups)
                {
                    return [.. _lookups];
                }
            }
        }

        public int Writes => Volatile.Read(ref _writes);

        [KernelFunction("lookup"), Description("Looks a word up."), Idempotent]
        public async Task<string> LookupAsync([Description("The word")] string word, CancellationToken cancellationToken)
        {
            lock (_lookups)
            {
                _lookups.Add(word);
            }

            FirstLookup.TrySetResult();
            if (Hold is { } hold)
            {
                try
                {
                    await hold.Task.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    LookupCancelled.TrySetResult();
                    throw;
                }
            }

            return "meaning of " + word;
        }

        [KernelFunction("write"), Description("Writes a note somewhere.")]
        public string Write([Description("The note")] string note)
        {
            Interlocked.Increment(ref _writes);
            return "wrote " + note;
        }
    }

    private static string PlanText(params object[] steps) => JsonSerializer.Serialize(new { steps });

    private static object Lookup(string id, string word) => new { id, description = "Look up " + word, tool = "desk.lookup", arguments = new { word } };

    /// <summary>The plan in pieces: the JSON cut just after the first step's object closes.</summary>
    private static List<string> Pieces(string plan)
    {
        var cut = plan.IndexOf("},", StringComparison.Ordinal) + 2;
        return [plan[..cut], plan[cut..]];
    }

    private static PlanningAgent Agent(ScriptedModel model, Desk desk, Action<PlansmithOptions>? configure = null, IPlanApprover? approver = null) =>
        new(TestAgents.Kernel(model, k => k.Plugins.AddFromObject(desk, "desk")), TestAgents.Options(configure), approver: approver);

    [Fact]
    public async Task Run_ReadOnlyStepWrittenFirst_StartsBeforeThePlanStreamEnds()
    {
        var desk = new Desk();
        var plan = PlanText(Lookup("s1", "apple"), new { id = "s2", description = "Write it", tool = "desk.write", arguments = new { note = "${s1}" }, dependencies = new[] { "s1" } });
        var model = new ScriptedModel(r => r.Prompt switch
        {
            // The rest of the plan is held back until the lookup has started: without early starts the run never ends.
            "plan_create" => new ModelReply(plan) { Chunks = Pieces(plan), BeforeChunk = i => i == 1 ? desk.FirstLookup.Task.WaitAsync(Patience) : Task.CompletedTask },
            _ => new ModelReply("Done."),
        });
        using var agent = Agent(model, desk);

        var result = await agent.RunAsync("Look up apple and write it down").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["apple"], desk.Lookups);
        Assert.Equal(1, desk.Writes);
        Assert.Equal("wrote meaning of apple", result["s2"].Output);
        Assert.DoesNotContain(result.Events, e => e is StepDiscarded);
    }

    [Fact]
    public async Task Run_ReflectionChangesAnEarlyStep_DiscardsItsResultAndRunsItAgain()
    {
        var desk = new Desk();
        var first = PlanText(Lookup("s1", "apple"), Lookup("s2", "pear"));
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => new ModelReply(first) { Chunks = Pieces(first) },
            "plan_reflect" => ModelReply.Json(new { approved = false, issues = new[] { "s1 should look up a quince" }, plan = new { steps = new[] { Lookup("s1", "quince"), Lookup("s2", "pear") } } }),
            _ => new ModelReply("Done."),
        });
        using var agent = Agent(model, desk, o => o.MaxReflectionRounds = 1);

        var result = await agent.RunAsync("Look up two fruits").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        var discarded = Assert.Single(result.Events.OfType<StepDiscarded>());
        Assert.Equal("s1", discarded.StepId);
        Assert.Contains("changed", discarded.Reason, StringComparison.Ordinal);
        Assert.Equal("meaning of quince", result["s1"].Output);

        // The unchanged step kept its early result: pear was looked up once.
        Assert.Equal(1, desk.Lookups.Count(w => w == "pear"));
        Assert.Contains("apple", desk.Lookups);
        Assert.Contains("quince", desk.Lookups);
    }

    /// <summary>Records what had happened when it was asked, then answers as told.</summary>
    private sealed class WatchingApprover(Desk desk, bool approve) : IPlanApprover
    {
        public int WritesWhenAsked { get; private set; } = -1;

        public async ValueTask<PlanApproval> ApproveAsync(Plan plan, CancellationToken cancellationToken = default)
        {
            // Give early steps every chance to start before answering.
            await desk.FirstLookup.Task.WaitAsync(Patience, cancellationToken);
            WritesWhenAsked = desk.Writes;
            return approve ? PlanApproval.Approve() : PlanApproval.Reject("not now");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Run_SideEffectingStep_NeverStartsBeforeApproval(bool approve)
    {
        var desk = new Desk();
        var plan = PlanText(Lookup("s1", "apple"), new { id = "s2", description = "Write a note", tool = "desk.write", arguments = new { note = "hello" } });
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => new ModelReply(plan) { Chunks = Pieces(plan) },
            _ => new ModelReply("Done."),
        });
        var approver = new WatchingApprover(desk, approve);
        using var agent = Agent(model, desk, approver: approver);

        var result = await agent.RunAsync("Look up apple, write a note").WaitAsync(Patience);

        Assert.Equal(0, approver.WritesWhenAsked);
        if (approve)
        {
            Assert.Equal(AgentRunStatus.Completed, result.Status);
            Assert.Equal(1, desk.Writes);
        }
        else
        {
            // Rejected: nothing with side effects ran, and the early lookup is on the record as discarded.
            Assert.Equal(AgentRunStatus.Rejected, result.Status);
            Assert.True(result.RejectedByApprover);
            Assert.Equal(0, desk.Writes);
            Assert.Equal("s1", Assert.Single(result.Events.OfType<StepDiscarded>()).StepId);
        }
    }

    [Fact]
    public async Task Run_PlanInvalidMidStream_CancelsItsEarlySteps()
    {
        var desk = new Desk { Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var invalid = PlanText(Lookup("s1", "apple"), new { id = "s2", description = "Do magic", tool = "desk.magic", arguments = new { } });
        var valid = PlanText(new { id = "w1", description = "Write a note", tool = "desk.write", arguments = new { note = "hello" } });
        var plans = 0;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" when Interlocked.Increment(ref plans) == 1 =>
                new ModelReply(invalid) { Chunks = Pieces(invalid), BeforeChunk = i => i == 1 ? desk.FirstLookup.Task.WaitAsync(Patience) : Task.CompletedTask },
            "plan_create" => new ModelReply(valid),
            _ => new ModelReply("Done."),
        });
        using var agent = Agent(model, desk);

        var result = await agent.RunAsync("Look up apple").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Single(result.Events.OfType<PlanRejected>());
        await desk.LookupCancelled.Task.WaitAsync(Patience);
        Assert.Null(result.Steps.FirstOrDefault(s => s.StepId == "s1"));
    }

    [Fact]
    public async Task Run_SpeculationNone_StartsNothingBeforeTheStreamEnds()
    {
        var desk = new Desk();
        var plan = PlanText(Lookup("s1", "apple"), Lookup("s2", "pear"));
        var lookupsWhenStreamEnded = -1;
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => new ModelReply(plan) { Chunks = Pieces(plan), BeforeChunk = i => { if (i == 1) { lookupsWhenStreamEnded = desk.Lookups.Count; } return Task.CompletedTask; } },
            _ => new ModelReply("Done."),
        });
        using var agent = Agent(model, desk, o => o.Speculation = SpeculationMode.None);

        var result = await agent.RunAsync("Look up two fruits").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, desk.Lookups.Count);
        Assert.False(Assert.Single(model.RequestsFor("plan_create")).Stream);
        Assert.True(lookupsWhenStreamEnded <= 0);
    }

    [Fact]
    public async Task Run_CompactLinesWithAMapStep_StartTheItemsBeforeThePlanStreamEnds()
    {
        var desk = new Desk();
        const string Plan = """{"steps": ["s1 = desk.lookup(word in [\"apple\", \"pear\"])", "s2 = desk.write(note=\"${s1}\")"]}""";
        var cut = Plan.IndexOf("\"s2", StringComparison.Ordinal);
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "plan_create" => new ModelReply(Plan) { Chunks = [Plan[..cut], Plan[cut..]], BeforeChunk = i => i == 1 ? desk.FirstLookup.Task.WaitAsync(Patience) : Task.CompletedTask },
            _ => new ModelReply("Done."),
        });
        using var agent = Agent(model, desk);

        var result = await agent.RunAsync("Look up two fruits and write them down").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(["apple", "pear"], desk.Lookups.Order(StringComparer.Ordinal));
        Assert.Equal(1, desk.Writes);
        Assert.Contains("meaning of pear", result["s2"].Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_DefaultRouterAndReflection_FirstReadOnlyStepStartsBeforeThePlanStreamEnds()
    {
        var desk = new Desk();
        var plan = PlanText(Lookup("s1", "apple"), Lookup("s2", "pear"));
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => new ModelReply(plan) { Chunks = Pieces(plan), BeforeChunk = i => i == 1 ? desk.FirstLookup.Task.WaitAsync(Patience) : Task.CompletedTask },
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply("Done."),
        });
        var defaults = new PlansmithOptions();
        Assert.True(defaults.UseRouter && defaults.MaxReflectionRounds > 0 && defaults.Speculation == SpeculationMode.ReadOnly);
        using var agent = new PlanningAgent(TestAgents.Kernel(model, k => k.Plugins.AddFromObject(desk, "desk")), defaults);

        var result = await agent.RunAsync("Look up two fruits").WaitAsync(Patience);

        Assert.Equal(AgentRunStatus.Completed, result.Status);
        Assert.Equal(2, desk.Lookups.Count);
        Assert.DoesNotContain(result.Events, e => e is StepDiscarded);
    }

    [Fact]
    public async Task Run_DiscardedEarlyResult_IsInTheStoredRunAndItsReport()
    {
        var dir = Directory.CreateTempSubdirectory("plansmith-speculation-").FullName;
        try
        {
            var desk = new Desk();
            var first = PlanText(Lookup("s1", "apple"));
            var model = new ScriptedModel(r => r.Prompt switch
            {
                "plan_create" => new ModelReply(first) { Chunks = [first[..^3], first[^3..]] },
                "plan_reflect" => ModelReply.Json(new { approved = false, issues = new[] { "a quince, not an apple" }, plan = new { steps = new[] { Lookup("s1", "quince") } } }),
                _ => new ModelReply("Done."),
            });
            var store = new Plansmith.Agent.Runs.Store.SqliteRunStore(Path.Combine(dir, "runs.db"));
            {
                using var agent = new PlanningAgent(
                    TestAgents.Kernel(model, k => k.Plugins.AddFromObject(desk, "desk")), TestAgents.Options(o => o.MaxReflectionRounds = 1), runStore: store);

                var result = await agent.RunAsync("Look up a fruit").WaitAsync(Patience);
                var stored = await store.GetRunAsync(result.RunId!);

                Assert.Equal(AgentRunStatus.Completed, result.Status);
                Assert.Contains(stored!.Events, e => e.Type == nameof(StepDiscarded));
                var report = Plansmith.Agent.Reports.RunReport.Markdown(stored);
                Assert.Contains("## Early results discarded", report, StringComparison.Ordinal);
                Assert.Contains("**s1** started before the plan was final", report, StringComparison.Ordinal);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }
}
