using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Tests.TestSupport;

/// <summary>Counts its calls; tests hold it across "restarts" to see what ran again.</summary>
public sealed class CountingPlugin
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    [KernelFunction("count"), Description("Counts a call and returns its argument.")]
    public string Count([Description("A value")] string value)
    {
        Interlocked.Increment(ref _calls);
        return "counted " + value;
    }
}
