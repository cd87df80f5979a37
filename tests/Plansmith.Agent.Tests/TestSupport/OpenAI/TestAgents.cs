using Microsoft.SemanticKernel;
using Plansmith.Agent.Planning;
using Plansmith.Testing;

namespace Plansmith.Agent.Tests.TestSupport.OpenAI;

public static class TestAgents
{
    public const string ApiKey = "sk-test-not-a-real-key";

    /// <summary>A kernel whose chat service is SK's real OpenAI connector talking to the scripted model in process.</summary>
    public static Kernel Kernel(ScriptedModel model, Action<Kernel>? addPlugins = null)
    {
        var kernel = Microsoft.SemanticKernel.Kernel.CreateBuilder()
            .AddOpenAIChatCompletion("scripted-model", new Uri("http://scripted.invalid/v1/"), ApiKey, httpClient: new HttpClient(new Plansmith.Agent.Hosting.PromptHeaderHandler { InnerHandler = new ScriptedOpenAIHandler(model) }))
            .Build();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        kernel.Plugins.AddFromType<TextPlugin>("text");
        addPlugins?.Invoke(kernel);
        return kernel;
    }

    /// <summary>Options for tests: no real waiting between retries, no router unless asked.</summary>
    public static PlansmithOptions Options(Action<PlansmithOptions>? configure = null)
    {
        var options = new PlansmithOptions { UseRouter = false, MaxReflectionRounds = 0 };
        options.Execution.RetryBaseDelay = TimeSpan.Zero;
        options.Execution.MaxRetries = 0;
        configure?.Invoke(options);
        return options;
    }
}
