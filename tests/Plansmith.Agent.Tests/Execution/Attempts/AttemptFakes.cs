using System.Collections.Concurrent;
using Plansmith.Agent.Execution;
using Plansmith.Agent.Plans;
using Plansmith.Agent.Tests.TestSupport;

namespace Plansmith.Agent.Tests.Execution.Attempts;

/// <summary>An executor that runs a handler and keeps every context it was given, in order.</summary>
internal sealed class FakeStepExecutor : IStepExecutor
{
    private readonly Func<StepContext, CancellationToken, Task<StepOutput>> _handler;

    public FakeStepExecutor(Func<StepContext, CancellationToken, Task<StepOutput>> handler)
    {
        _handler = handler;
    }

    public ConcurrentQueue<StepContext> Contexts { get; } = new();

    public int Calls => Contexts.Count;

    /// <summary>Fails every call with <paramref name="error"/>.</summary>
    public static FakeStepExecutor Failing(Func<Exception> error) => new((_, _) => throw error());

    public bool CanExecute(PlanStep planStep) => true;

    public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        Contexts.Enqueue(context);
        return _handler(context, cancellationToken);
    }
}

/// <summary>Records what the attempt pipeline reports about a step.</summary>
internal sealed class RecordingObserver : IStepAttemptObserver
{
    private readonly Action<TimeSpan>? _onRetrying;

    public RecordingObserver(Action<TimeSpan>? onRetrying = null)
    {
        _onRetrying = onRetrying;
    }

    public ConcurrentQueue<StepContext> Attempts { get; } = new();

    public ConcurrentQueue<(int FailedAttempt, int MaxAttempts, TimeSpan Delay, string Error)> Retries { get; } = new();

    public ConcurrentQueue<(StepContext Fallback, string Error)> Fallbacks { get; } = new();

    public void AttemptStarting(StepContext context) => Attempts.Enqueue(context);

    public void Retrying(StepContext failed, int maxAttempts, TimeSpan delay, Exception error)
    {
        Retries.Enqueue((failed.Attempt, maxAttempts, delay, error.Message));
        _onRetrying?.Invoke(delay);
    }

    public void FallingBack(StepContext fallback, Exception error) => Fallbacks.Enqueue((fallback, error.Message));
}

/// <summary>A jitter source that always draws the same number.</summary>
internal sealed class FixedRandom : Random
{
    private readonly double _value;

    public FixedRandom(double value)
    {
        _value = value;
    }

    public override double NextDouble() => _value;
}

internal static class AttemptContexts
{
    /// <summary>The first attempt of <paramref name="step"/>, alone in its plan, reported to <paramref name="observer"/>.</summary>
    public static StepContext For(PlanStep step, IStepAttemptObserver? observer = null) =>
        new(new Plan([step]), step, TestKernels.WithTestPlugins()) { Observer = observer };
}
