using Microsoft.SemanticKernel;
using Plansmith.Plugins.Files;

namespace Plansmith.Plugins.Hosting;

/// <summary>Adds Plansmith's plugins to a kernel.</summary>
public static class PlansmithPluginsKernelExtensions
{
    /// <summary>Adds the files plugin over <paramref name="rootDirectory"/> as <c>files</c>.</summary>
    public static KernelPluginCollection AddFilesPlugin(this KernelPluginCollection plugins, string rootDirectory, FilesPluginOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        plugins.AddFromObject(new FilesPlugin(rootDirectory, options), FilesPlugin.DefaultName);
        return plugins;
    }
}
