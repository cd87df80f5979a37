using CsCheck;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Tests.TestSupport;

namespace Plansmith.Agent.Tests.Execution;

public sealed class PlanExecutorPropertyTests
{
    /// <summary>A random DAG: each step depends on a random subset of earlier steps; some steps fail.</summary>
    private static readonly Gen<(PlanStep[] Steps, HashSet<string> Failing, int MaxParallelism)> RandomRun =
        from count in Gen.Int[1, 40]
        from edges in Gen.Int[0, 1000].Array[count * 3]
        from failing in Gen.Int[0, count - 1].Array[0, 4]
        from maxParallelism in Gen.Int[1, 6]
        select (BuildSteps(count, edges), failing.Select(i => $"s{i}").ToHashSet(), maxParallelism);

    private static PlanStep[] BuildSteps(int count, int[] edges)
    {
        var steps = new PlanStep[count];
        for (var i = 0; i < count; i++)
        {
            var dependencies = i == 0
                ? []
                : edges.Skip(i * 3).Take(3).Where(e => e % 3 != 0).Select(e => $"s{e % i}").Distinct().ToArray();
            steps[i] = TestPlans.Step($"s{i}", dependencies);
        }

        return steps;
    }

    [Fact]
    public async Task ExecuteAsync_RandomDags_RespectDependenciesParallelismAndTermination()
    {
        await RandomRun.SampleAsync(
            async run =>
            {
                var (steps, failing, maxParallelism) = run;
                var scripted = new ScriptedStepExecutor(async (ctx, ct) =>
                {
                    await Task.Yield();
                    if (failing.Contains(ctx.Step.Id))
                    {
                        throw new InvalidOperationException("scripted failure");
                    }

                    return new StepOutput("ok");
                });
                var executor = new PlanExecutor(new Kernel(), [scripted], new PlanExecutorOptions { MaxParallelism = maxParallelism, MaxRetries = 0 });

                var result = await executor.ExecuteAsync(new Plan(steps));

                Assert.True(scripted.MaxConcurrency <= maxParallelism, $"{scripted.MaxConcurrency} ran at once with a limit of {maxParallelism}");
                foreach (var step in steps)
                {
                    var record = result[step.Id];
                    Assert.True(record.Status.IsTerminal(), $"{step.Id} ended {record.Status}");
                    var dependencyRecords = step.Dependencies.Select(d => result[d]).ToList();
                    if (scripted.StartSequence.TryGetValue(step.Id, out var started))
                    {
                        Assert.All(step.Dependencies, d => Assert.True(scripted.EndSequence[d] < started, $"{step.Id} started before {d} ended"));
                        Assert.All(dependencyRecords, d => Assert.Equal(StepStatus.Completed, d.Status));
                    }

                    var expected = dependencyRecords.Any(d => d.Status != StepStatus.Completed)
                        ? StepStatus.Skipped
                        : failing.Contains(step.Id) ? StepStatus.Failed : StepStatus.Completed;
                    Assert.Equal(expected, record.Status);
                }

                var allCompleted = result.Steps.All(s => s.Status == StepStatus.Completed);
                Assert.Equal(allCompleted ? PlanExecutionStatus.Completed : PlanExecutionStatus.Failed, result.Status);
            },
            iter: 200);
    }
}
