using System.Threading.Channels;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs one step through the attempt pipeline and reports to the scheduler's inbox what happens:
/// each retry, the switch to the fallback, and always, at the end, one <see cref="StepFinished"/>.
/// It never throws.
/// </summary>
internal sealed class StepWorker : IStepAttemptObserver
{
    private readonly int _index;
    private readonly ChannelWriter<WorkerMessage> _inbox;
    private int _attempts;
    private bool _fellBack;

    public StepWorker(int index, ChannelWriter<WorkerMessage> inbox)
    {
        _index = index;
        _inbox = inbox;
    }

    /// <summary>Runs the step, whose first attempt's context is <paramref name="context"/>, which names this worker as its observer.</summary>
    public async Task RunAsync(IStepExecutor pipeline, StepContext context, CancellationToken token)
    {
        try
        {
            var output = await pipeline.ExecuteAsync(context, token).ConfigureAwait(false);
            Post(new StepFinished(_index, StepStatus.Completed, output.Text, null, Attempts, _fellBack, output.Usage));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Post(new StepFinished(_index, StepStatus.Cancelled, null, "The run was cancelled while the step was running.", Attempts, UsedFallback: false));
        }
        catch (Exception ex)
        {
            Post(new StepFinished(_index, StepStatus.Failed, null, ex.Message, Attempts, UsedFallback: false));
        }
    }

    private int Attempts => Volatile.Read(ref _attempts);

    public void AttemptStarting(StepContext context) => Interlocked.Increment(ref _attempts);

    public void Retrying(StepContext failed, int maxAttempts, TimeSpan delay, Exception error) =>
        Post(new StepRetryReported(_index, failed.Attempt, maxAttempts, delay, error.Message));

    public void FallingBack(StepContext fallback, Exception error)
    {
        _fellBack = true;
        Post(new StepFallbackReported(_index, fallback.Step.Description, error.Message));
    }

    private void Post(WorkerMessage message) => _inbox.TryWrite(message);
}
