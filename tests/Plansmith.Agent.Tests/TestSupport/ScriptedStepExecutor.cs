using System.Collections.Concurrent;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Tests.TestSupport;

/// <summary>
/// A step executor driven by a script: by default each step returns "out:ID". It records the
/// order of starts and ends and the highest concurrency seen.
/// </summary>
public sealed class ScriptedStepExecutor : IStepExecutor
{
    private readonly Func<StepContext, CancellationToken, Task<StepOutput>>? _handler;
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private long _sequence;
    private int _running;
    private int _maxRunning;

    public ScriptedStepExecutor(Func<StepContext, CancellationToken, Task<StepOutput>>? handler = null)
    {
        _handler = handler;
    }

    public ConcurrentQueue<string> Started { get; } = new();

    public ConcurrentDictionary<string, long> StartSequence { get; } = new();

    public ConcurrentDictionary<string, long> EndSequence { get; } = new();

    public int MaxConcurrency => Volatile.Read(ref _maxRunning);

    public int AttemptsOf(string id) => _attempts.GetValueOrDefault(id);

    public bool CanExecute(PlanStep planStep) => true;

    public async Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        var id = context.Step.Id;
        _attempts.AddOrUpdate(id, 1, (_, n) => n + 1);
        Started.Enqueue(id);
        StartSequence[id] = Interlocked.Increment(ref _sequence);
        var now = Interlocked.Increment(ref _running);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, now, seen) != seen)
        {
        }

        try
        {
            return _handler is null
                ? new StepOutput("out:" + id)
                : await _handler(context, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            EndSequence[id] = Interlocked.Increment(ref _sequence);
        }
    }
}
