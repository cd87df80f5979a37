using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Plansmith.Agent.Runs;

/// <summary>Turns a run that reports events through a callback into an async stream of those events.</summary>
internal static class EventStream
{
    /// <summary>
    /// Starts <paramref name="run"/> and yields its events in order. The run's own end (its last
    /// event) is read even when the token is cancelled; leaving the loop early cancels the run and
    /// waits for it; a run that throws ends the stream with its exception.
    /// </summary>
    public static async IAsyncEnumerable<ExecutionEvent> ReadAsync(
        Func<Func<ExecutionEvent, ValueTask>, CancellationToken, Task> run,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ExecutionEvent>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Task.Run(
            async () =>
            {
                try
                {
                    await run(e => channel.Writer.WriteAsync(e, CancellationToken.None), stop.Token).ConfigureAwait(false);
                    channel.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    channel.Writer.TryComplete(ex);
                }
            },
            CancellationToken.None);

        try
        {
            await foreach (var item in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await running.ConfigureAwait(false);
        }
    }
}
