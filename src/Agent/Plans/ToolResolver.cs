using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Finds the kernel function a plan's <c>tool</c> names. The canonical form is
/// <c>plugin.function</c>; the wire forms <c>plugin-function</c> and <c>plugin_function</c> and a bare
/// function name that only one plugin has are accepted too, because models copy whichever they saw.
/// </summary>
public static class ToolResolver
{
    /// <summary>The canonical <c>plugin.function</c> name of a kernel function.</summary>
    public static string CanonicalName(KernelFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.PluginName is null ? function.Name : function.PluginName + "." + function.Name;
    }

    /// <summary>Finds the function <paramref name="tool"/> names.</summary>
    public static bool TryResolve(IReadOnlyKernelPluginCollection plugins, string tool, out KernelFunction function)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        ArgumentNullException.ThrowIfNull(tool);
        function = null!;
        tool = tool.Trim();
        if (tool.Length == 0)
        {
            return false;
        }

        foreach (var separator in (ReadOnlySpan<char>)['.', '-', '/', ':'])
        {
            var at = tool.IndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && at < tool.Length - 1
                && plugins.TryGetFunction(tool[..at], tool[(at + 1)..], out var found))
            {
                function = found;
                return true;
            }
        }

        // Plugin and function names may themselves hold '_', so try every split.
        for (var at = tool.IndexOf('_', StringComparison.Ordinal); at > 0 && at < tool.Length - 1; at = tool.IndexOf('_', at + 1))
        {
            if (plugins.TryGetFunction(tool[..at], tool[(at + 1)..], out var found))
            {
                function = found;
                return true;
            }
        }

        KernelFunction? unique = null;
        foreach (var plugin in plugins)
        {
            if (plugin.TryGetFunction(tool, out var candidate))
            {
                if (unique is not null)
                {
                    return false;
                }

                unique = candidate;
            }
        }

        if (unique is null)
        {
            return false;
        }

        function = unique;
        return true;
    }

    /// <summary>Every function in the collection by canonical name, in plugin order.</summary>
    public static IEnumerable<string> AllNames(IReadOnlyKernelPluginCollection plugins)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        foreach (var plugin in plugins)
        {
            foreach (var function in plugin)
            {
                yield return plugin.Name + "." + function.Name;
            }
        }
    }
}
