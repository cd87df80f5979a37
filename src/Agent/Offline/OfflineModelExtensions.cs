using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Offline;

/// <summary>Adds Plansmith's offline model to a kernel.</summary>
public static class OfflineModelExtensions
{
    /// <summary>The service id the offline model is registered under.</summary>
    public const string ServiceId = "plansmith-offline";

    /// <summary>
    /// Adds the offline model as the kernel's chat service, with SK's function invocation around
    /// it so that its tool calls are run (and Plansmith's filters see them).
    /// </summary>
    public static IKernelBuilder AddPlansmithOfflineModel(this IKernelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IChatCompletionService>(sp =>
            new OfflineChatClient().AsBuilder().UseKernelFunctionInvocation().Build(sp).AsChatCompletionService(sp));
        return builder;
    }
}
