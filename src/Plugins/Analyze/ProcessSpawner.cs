using System.Collections.Concurrent;
using System.Diagnostics;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Starts sandbox processes from one thread that lives as long as the host. bwrap's
/// <c>--die-with-parent</c> is PR_SET_PDEATHSIG, which fires when the thread that forked it ends, not
/// the process: started from a thread-pool thread that the pool later retires, a healthy jail would
/// be killed mid-run (we saw exit 137 under parallel test load).
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Queue = [];

    static ProcessSpawner()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "Plansmith sandbox spawner" };
        thread.Start();
    }

    /// <summary>Starts <paramref name="process"/> on the spawner thread.</summary>
    public static Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Queue.Add((process, started));
        return started.Task;
    }

    private static void Loop()
    {
        foreach (var (process, started) in Queue.GetConsumingEnumerable())
        {
            try
            {
                // Only standard input, output and error may reach the child.
                InheritedHandles.MarkCloseOnExec();
                process.Start();
                started.SetResult();
            }
            catch (Exception ex)
            {
                started.SetException(ex);
            }
        }
    }
}
