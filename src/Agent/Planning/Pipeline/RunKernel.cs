using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace Plansmith.Agent.Planning;

/// <summary>
/// A run's kernel: the host's plugins, filters and services, except that every chat service it
/// hands out (unkeyed, keyed, or all of them) is the host's wrapped in the run's model pipeline.
/// So every model call of the run — planning prompts, step prompts, and prompts the plugins call
/// themselves — passes the same layers.
/// </summary>
internal static class RunKernel
{
    public static Kernel Create(Kernel host, Func<IChatCompletionService, IChatCompletionService> pipeline)
    {
        var services = new RunServiceProvider(host.Services, pipeline);
        var kernel = new Kernel(services, new KernelPluginCollection(host.Plugins));

        // The filter lists were filled from the services; the host's may hold more, added in code.
        Replace(kernel.FunctionInvocationFilters, host.FunctionInvocationFilters);
        Replace(kernel.PromptRenderFilters, host.PromptRenderFilters);
        Replace(kernel.AutoFunctionInvocationFilters, host.AutoFunctionInvocationFilters);
        foreach (var (key, value) in host.Data)
        {
            kernel.Data[key] = value;
        }

        kernel.Culture = host.Culture;
        return kernel;
    }

    private static void Replace<T>(IList<T> target, IList<T> source)
    {
        target.Clear();
        foreach (var item in source)
        {
            target.Add(item);
        }
    }

    private sealed class RunServiceProvider : IServiceProvider, IKeyedServiceProvider
    {
        private readonly IServiceProvider _host;
        private readonly Func<IChatCompletionService, IChatCompletionService> _pipeline;
        private readonly Dictionary<IChatCompletionService, IChatCompletionService> _wrapped = new(ReferenceEqualityComparer.Instance);
        private readonly Lock _lock = new();

        public RunServiceProvider(IServiceProvider host, Func<IChatCompletionService, IChatCompletionService> pipeline)
        {
            _host = host;
            _pipeline = pipeline;
        }

        public object? GetService(Type serviceType) => Wrap(serviceType, _host.GetService(serviceType));

        public object? GetKeyedService(Type serviceType, object? serviceKey) =>
            Wrap(serviceType, _host is IKeyedServiceProvider keyed ? keyed.GetKeyedService(serviceType, serviceKey) : null);

        public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
            GetKeyedService(serviceType, serviceKey)
            ?? throw new InvalidOperationException($"No service for type '{serviceType}' with key '{serviceKey}' has been registered.");

        private object? Wrap(Type serviceType, object? service)
        {
            if (service is null)
            {
                return null;
            }

            if (serviceType == typeof(IChatCompletionService))
            {
                return Wrapped((IChatCompletionService)service);
            }

            if (serviceType == typeof(IEnumerable<IChatCompletionService>))
            {
                return ((IEnumerable<IChatCompletionService>)service).Select(Wrapped).ToArray();
            }

            return service;
        }

        private IChatCompletionService Wrapped(IChatCompletionService service)
        {
            lock (_lock)
            {
                if (!_wrapped.TryGetValue(service, out var wrapped))
                {
                    wrapped = _pipeline(service);
                    _wrapped[service] = wrapped;
                }

                return wrapped;
            }
        }
    }
}
