using BenchmarkDotNet.Attributes;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Runs;

namespace Plansmith.Bench;

/// <summary>
/// Scheduler overhead: a random DAG of steps that do nothing, so the time measured is the
/// executor's own (dependency tracking, dispatch, events, records). Divide by N for the cost per step.
/// </summary>
[MemoryDiagnoser]
public class SchedulerBenchmarks
{
    private PlanExecutor _executor = null!;
    private Plan _plan = null!;

    [Params(10, 1_000, 10_000)]
    public int N { get; set; }

    [Params(1, 8)]
    public int MaxParallelism { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plan = RandomDags.Create(N, seed: 42);
        _executor = new PlanExecutor(new Kernel(), [new NoopStepExecutor()], new PlanExecutorOptions { MaxParallelism = MaxParallelism });
    }

    [Benchmark]
    public async Task<PlanExecutionResult> RunPlan() => await _executor.ExecuteAsync(_plan);

    [Benchmark]
    public async Task<int> RunPlanWithEvents()
    {
        var count = 0;
        await _executor.ExecuteAsync(_plan, onEvent: (_, _) => { count++; return ValueTask.CompletedTask; });
        return count;
    }
}

/// <summary>Validation of a 1,000-step plan against a kernel's plugins.</summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private readonly PlanValidator _validator = new(new PlanValidationOptions { MaxSteps = 1_000 });
    private readonly Kernel _kernel = new();
    private Plan _plan = null!;

    [GlobalSetup]
    public void Setup() => _plan = RandomDags.Create(1_000, seed: 7, withReferences: true);

    [Benchmark]
    public int Validate1000Steps() => _validator.Check(_plan, _kernel.Plugins).Count;
}

internal sealed class NoopStepExecutor : IStepExecutor
{
    private static readonly Task<StepOutput> Done = Task.FromResult(new StepOutput("ok"));

    public bool CanExecute(PlanStep planStep) => true;

    public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default) => Done;
}

internal static class RandomDags
{
    /// <summary>Each step depends on 0–3 of the 50 steps before it.</summary>
    public static Plan Create(int count, int seed, bool withReferences = false)
    {
        var random = new Random(seed);
        var steps = new PlanStep[count];
        for (var i = 0; i < count; i++)
        {
            var dependencies = i == 0
                ? []
                : Enumerable.Range(0, random.Next(0, 4)).Select(_ => $"s{random.Next(Math.Max(0, i - 50), i)}").Distinct().ToArray();
            var description = withReferences && dependencies.Length > 0 ? $"use ${{{dependencies[0]}}}" : "no-op";
            steps[i] = new PlanStep { Id = $"s{i}", Description = description, Dependencies = dependencies };
        }

        return new Plan(steps);
    }
}
