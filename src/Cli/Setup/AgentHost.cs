using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.SemanticKernel;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Plansmith.Agent.Hosting;
using Plansmith.Agent.Offline;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs.Store;
using Plansmith.Agent.Security;
using Plansmith.Cli.Rendering;
using Plansmith.Cli.Telemetry;
using Plansmith.Plugins.Files;
using Plansmith.Plugins.Hosting;
using Plansmith.Plugins.Search;

namespace Plansmith.Cli.Setup;

/// <summary>
/// Everything a command needs, set up from flags, environment variables and appsettings.json
/// (flags first): the chat provider, the kernel with Plansmith's plugins, the prompts and the
/// options. Keys are never printed or logged.
/// </summary>
internal sealed class AgentHost : IDisposable
{
    private readonly List<IDisposable> _owned = [];
    private Lazy<IRunStore?> _store = new(() => null);

    private AgentHost(Kernel kernel, PromptLibrary prompts, PlansmithOptions options, string provider, bool offline, ILoggerFactory loggerFactory)
    {
        Kernel = kernel;
        Prompts = prompts;
        Options = options;
        Provider = provider;
        IsOffline = offline;
        LoggerFactory = loggerFactory;
    }

    public Kernel Kernel { get; }

    public PromptLibrary Prompts { get; }

    public PlansmithOptions Options { get; }

    /// <summary>One line naming the model in use, for the banner.</summary>
    public string Provider { get; }

    /// <summary>How the model and tools were set up, as recorded with each run.</summary>
    public RunSetup Setup { get; private set; } = new("none", null, null, null, Environment.CurrentDirectory, null);

    public bool IsOffline { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The run store, or null with --no-store.</summary>
    /// <remarks>Opened on first use: commands that record nothing (tools, invoke, validate, execute) never touch the store file.</remarks>
    public IRunStore? Store => _store.Value;

    /// <summary>
    /// Composes an agent the way a DI user does (<c>AddPlansmith(…).UsePromptLibrary(…).UsePlanApprover(…).UseRunStore(…)</c>)
    /// over this host's kernel, prompts and logging. The caller disposes the agent; the host owns the rest.
    /// </summary>
    /// <param name="options">The settings of the command.</param>
    /// <param name="approver">Who approves plans; every plan when null.</param>
    /// <param name="record">Whether runs are recorded in the host's store (when it has one).</param>
    public PlanningAgent CreateAgent(PlansmithOptions options, IPlanApprover? approver = null, bool record = true)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Kernel);
        services.AddSingleton(LoggerFactory);
        var plansmith = services.AddPlansmith(options).UsePromptLibrary(Prompts);
        if (approver is not null)
        {
            plansmith.UsePlanApprover(approver);
        }

        if (record && Store is { } store)
        {
            plansmith.UseRunStore(store);
        }

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        _owned.Add(provider);
        return provider.GetRequiredService<PlanningAgent>();
    }

    /// <summary>Builds the host. Throws <see cref="CliSetupException"/> for any usage or configuration error.</summary>
    public static AgentHost Create(AgentSettings settings, TextWriter diagnostics, bool needsModel = true, bool announceOffline = true)
    {
        var configuration = Configuration(settings);
        var loggerFactory = Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
        {
            // No colours: log lines pass through the control-character filter on standard error.
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.ColorBehavior = Microsoft.Extensions.Logging.Console.LoggerColorBehavior.Disabled;
            });

            // Logs go to standard error: standard output is for answers and JSON.
            builder.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.SetMinimumLevel(settings.Verbose ? LogLevel.Debug : LogLevel.Warning);
            builder.AddFilter((category, level) => settings.Verbose ? level >= LogLevel.Debug : level >= LogLevel.Warning && category?.StartsWith("Plansmith", StringComparison.Ordinal) == true);
        });

        var telemetry = Telemetry(settings);
        var options = new PlansmithOptions();
        Settings.Bind(configuration, "Plansmith", options);
        var promptsDirectory = settings.Prompts?.FullName ?? options.PromptsDirectory;
        if (promptsDirectory is not null && !Directory.Exists(promptsDirectory))
        {
            throw new CliSetupException($"The prompt folder '{promptsDirectory}' {(File.Exists(promptsDirectory) ? "is a file, not a folder" : "does not exist")}. Give an existing folder with --prompts, or leave it out to use the built-in prompts.");
        }

        options.PromptsDirectory = promptsDirectory;
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(loggerFactory);
        var resilience = new ModelResilienceOptions();
        Settings.Bind(configuration, "Plansmith:ModelResilience", resilience);
        HttpClient http;
        try
        {
            http = ModelHttpClient.Create(resilience);
        }
        catch (ArgumentException ex)
        {
            throw new CliSetupException(ex.Message);
        }

        var (provider, offline, modelSetup) = needsModel ? AddProvider(builder, settings, configuration, http, diagnostics) : ("no model needed", false, new ModelSetup("none", null, null));
        if (needsModel && announceOffline && provider.StartsWith("offline", StringComparison.Ordinal) && !settings.Offline && configuration["Plansmith:Provider"] is null)
        {
            diagnostics.WriteLine("No model configured: using Plansmith's built-in offline model (rule-based, not a language model). Set OPENAI_API_KEY, or use --endpoint URL --model NAME, for a real one.");
        }

        PromptLibrary prompts;
        try
        {
            prompts = new PromptLibrary(new PromptLibraryOptions { Directory = promptsDirectory }, TimeProvider.System, loggerFactory);
        }
        catch (PromptLibraryException ex)
        {
            throw new CliSetupException(ex.Message);
        }

        TerminalText.Secrets.Add(configuration["BRAVE_API_KEY"] ?? configuration["Plansmith:BraveApiKey"]);
        TerminalText.Secrets.Add(settings.ApiKey);

        // Whatever a model or tool returns loses the keys before the run sees it (a server may echo one).
        builder.Services.AddSingleton<IFunctionInvocationFilter>(new SecretRedactionFilter(TerminalText.Secrets));
        var kernel = builder.Build();
        var host = new AgentHost(kernel, prompts, options, provider, offline, loggerFactory);
        host._owned.Add(prompts);
        host._owned.Add(loggerFactory);
        host._owned.Add(http);
        host._owned.AddRange(telemetry);
        var corpus = settings.Corpus?.FullName ?? configuration["Plansmith:Corpus"];
        if (corpus is not null && !Directory.Exists(corpus))
        {
            throw new CliSetupException($"The corpus folder '{corpus}' {(File.Exists(corpus) ? "is a file, not a folder" : "does not exist")}. Give a folder of documents with --corpus DIR.");
        }

        try
        {
            host._owned.Add(kernel.Plugins.AddPlansmithPlugins(
                PluginOptions(configuration, corpus),
                prompts));
        }
        catch (RerankerUnavailableException ex)
        {
            throw new CliSetupException(ex.Message, ex);
        }
        catch (UriFormatException ex)
        {
            throw new CliSetupException($"Plansmith:SearxngUrl is not a valid URL ({Endpoints.Display(configuration["Plansmith:SearxngUrl"] ?? string.Empty)}). Give an http(s) URL such as http://localhost:8080.", ex);
        }

        var root = settings.Root?.FullName ?? Environment.CurrentDirectory;
        if (!Directory.Exists(root))
        {
            throw new CliSetupException($"--root folder '{root}' {(File.Exists(root) ? "is a file, not a folder" : "does not exist")}. Give the folder the files tools may read and write, or leave --root out to use the current folder.");
        }

        var filesOptions = new FilesPluginOptions();
        Settings.Bind(configuration, "Plansmith:Files", filesOptions);
        try
        {
            kernel.Plugins.AddFilesPlugin(root, filesOptions);
        }
        catch (ArgumentException ex)
        {
            throw new CliSetupException($"Plansmith:Files settings are not valid: {ex.Message}", ex);
        }

        // Recorded with each run (never a key), so that 'resume' sets up the same model and tools.
        host.Setup = new RunSetup(modelSetup.Provider, modelSetup.Endpoint, modelSetup.Model, corpus is null ? null : Path.GetFullPath(corpus), Path.GetFullPath(root), promptsDirectory is null ? null : Path.GetFullPath(promptsDirectory));
        options.RunMetadata[RunSetup.Key] = host.Setup.ToJson();
        var problems = options.Check();
        if (problems.Count > 0)
        {
            throw new CliSetupException("Invalid settings: " + string.Join(" ", problems));
        }

        host._store = new Lazy<IRunStore?>(() => OpenStore(settings, configuration));
        return host;
    }

    /// <summary>
    /// The run store the options name (default file unless --no-store), with the settings under
    /// <c>Plansmith:RunStore</c>. A file that is not a store (or is from a newer version) is a
    /// usage error; a store that fails (read-only, damaged, …) leaves as <see cref="RunStoreException"/>.
    /// </summary>
    public static IRunStore? OpenStore(AgentSettings settings, IConfiguration? configuration = null)
    {
        if (settings.NoStore)
        {
            return null;
        }

        var path = settings.Store?.FullName ?? configuration?["Plansmith:Store"] ?? SqliteRunStore.DefaultPath;
        var options = new SqliteRunStoreOptions();
        try
        {
            configuration?.GetSection("Plansmith:RunStore").Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            throw new CliSetupException($"Plansmith:RunStore settings could not be read: {ex.Message}");
        }

        if (options.Check() is { Count: > 0 } problems)
        {
            throw new CliSetupException("Invalid run store settings: " + string.Join(" ", problems));
        }

        try
        {
            return new SqliteRunStore(path, options);
        }
        catch (RunStoreException ex) when (ex.IsRefusal)
        {
            throw new CliSetupException(ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new CliSetupException($"The run store '{path}' cannot be opened ({ex.Message}). Use another file with --store, or --no-store.");
        }
    }

    /// <summary>
    /// The plugins' settings: <c>Plansmith:Fetch</c>, <c>Plansmith:Analyze</c>, <c>Plansmith:Bubblewrap</c>,
    /// <c>Plansmith:IndexDirectory</c>, <c>Plansmith:EnableFetch</c> and the search settings, as documented.
    /// </summary>
    private static PlansmithPluginsOptions PluginOptions(IConfiguration configuration, string? corpus)
    {
        var options = new PlansmithPluginsOptions();
        Settings.Bind(configuration, "Plansmith:Fetch", options.Fetch);
        Settings.Bind(configuration, "Plansmith:Analyze", options.Analyze);
        Settings.Bind(configuration, "Plansmith:Bubblewrap", options.Bubblewrap);
        options.IndexDirectory = configuration["Plansmith:IndexDirectory"];
        options.EnableFetch = Settings.Get<bool?>(configuration, "Plansmith:EnableFetch") ?? true;
        options.CorpusDirectory = corpus;
        options.Rerank = Settings.Get<bool>(configuration, "Plansmith:Rerank");
        options.RerankerPath = configuration["Plansmith:RerankerPath"];
        options.SearxngUrl = configuration["Plansmith:SearxngUrl"] is { } searx ? new Uri(searx) : null;
        options.BraveApiKey = configuration["BRAVE_API_KEY"] ?? configuration["Plansmith:BraveApiKey"];
        return options;
    }

    /// <summary>Tracer and meter providers for --trace console and --otlp ENDPOINT (Plansmith's and SK's sources).</summary>
    private static List<IDisposable> Telemetry(AgentSettings settings)
    {
        if (settings.Trace is null && settings.Otlp is null)
        {
            return [];
        }

        if (settings.Trace is not null and not "console")
        {
            throw new CliSetupException($"--trace '{settings.Trace}' is not known; use --trace console, or --otlp ENDPOINT.");
        }

        Uri? otlp = null;
        if (settings.Otlp is not null && (!Uri.TryCreate(settings.Otlp, UriKind.Absolute, out otlp) || (otlp.Scheme != Uri.UriSchemeHttp && otlp.Scheme != Uri.UriSchemeHttps)))
        {
            throw new CliSetupException($"--otlp '{Endpoints.Display(settings.Otlp)}' is not an http(s) URL, e.g. http://localhost:4317.");
        }

        AppContext.SetSwitch("Microsoft.SemanticKernel.Experimental.GenAI.EnableOTelDiagnostics", true);
        var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .AddSource(Agent.Telemetry.PlansmithTelemetry.SourceName, "Microsoft.SemanticKernel*");
        var metrics = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .AddMeter(Agent.Telemetry.PlansmithTelemetry.SourceName, "Microsoft.SemanticKernel*");
        if (settings.Trace is "console")
        {
            // Standard error: standard output carries the answer and --json.
            tracing.AddProcessor(new OpenTelemetry.SimpleActivityExportProcessor(new StandardErrorSpanExporter(Console.Error)));
            metrics.AddReader(new OpenTelemetry.Metrics.PeriodicExportingMetricReader(new StandardErrorMetricExporter(Console.Error)));
        }

        if (otlp is not null)
        {
            tracing.AddOtlpExporter(o => o.Endpoint = otlp);
            metrics.AddOtlpExporter(o => o.Endpoint = otlp);
        }

        return [tracing.Build()!, metrics.Build()!];
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
    }

    private static IConfiguration Configuration(AgentSettings settings) => Settings.Load(settings.Config);

    /// <summary>Picks the provider: --offline; an OpenAI-compatible endpoint; Azure OpenAI; OpenAI; else the offline model.</summary>
    private static (string Description, bool Offline, ModelSetup Setup) AddProvider(IKernelBuilder builder, AgentSettings settings, IConfiguration configuration, HttpClient http, TextWriter diagnostics)
    {
        var endpoint = settings.Endpoint ?? configuration["PLANSMITH_ENDPOINT"] ?? configuration["Plansmith:Endpoint"];
        var azureEndpoint = settings.AzureEndpoint ?? configuration["AZURE_OPENAI_ENDPOINT"] ?? configuration["Plansmith:AzureEndpoint"];
        var model = settings.Model ?? configuration["PLANSMITH_MODEL"] ?? configuration["Plansmith:Model"];
        if (settings.Offline || string.Equals(configuration["Plansmith:Provider"], "offline", StringComparison.OrdinalIgnoreCase))
        {
            builder.AddPlansmithOfflineModel();
            return ("offline — Plansmith's built-in rule-based model (not a language model)", true, new ModelSetup("offline", null, null));
        }

        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliSetupException($"--endpoint '{Endpoints.Display(endpoint)}' is not an http(s) URL. Example: --endpoint http://localhost:11434/v1");
            }

            var embedded = Endpoints.TakeCredentials(ref uri, diagnostics, "--endpoint");

            if (string.IsNullOrWhiteSpace(model))
            {
                throw new CliSetupException("--endpoint needs --model: the name of a model the server serves (e.g. --model llama3.1).");
            }

            var key = settings.ApiKey ?? configuration["PLANSMITH_API_KEY"] ?? configuration["OPENAI_API_KEY"] ?? embedded ?? "no-key";
            TerminalText.Secrets.Add(key);
            builder.AddOpenAIChatCompletion(model, uri, key, httpClient: http);
            return ($"{model} at {uri.GetLeftPart(UriPartial.Path)}", false, new ModelSetup("endpoint", uri.AbsoluteUri, model));
        }

        if (azureEndpoint is not null)
        {
            if (!Uri.TryCreate(azureEndpoint, UriKind.Absolute, out var azureUri) || (azureUri.Scheme != Uri.UriSchemeHttp && azureUri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliSetupException($"--azure-endpoint '{Endpoints.Display(azureEndpoint)}' is not an http(s) URL. Example: --azure-endpoint https://NAME.openai.azure.com/");
            }

            var azureEmbedded = Endpoints.TakeCredentials(ref azureUri, diagnostics, "--azure-endpoint");
            azureEndpoint = azureUri.AbsoluteUri;
            var key = settings.ApiKey ?? configuration["AZURE_OPENAI_API_KEY"] ?? azureEmbedded;
            TerminalText.Secrets.Add(key);
            var deployment = model ?? configuration["AZURE_OPENAI_DEPLOYMENT"];
            if (string.IsNullOrWhiteSpace(key))
            {
                throw new CliSetupException("No Azure OpenAI key: set AZURE_OPENAI_API_KEY (or --api-key), or use --offline.");
            }

            if (string.IsNullOrWhiteSpace(deployment))
            {
                throw new CliSetupException("Azure OpenAI needs a deployment name: --model DEPLOYMENT or AZURE_OPENAI_DEPLOYMENT.");
            }

            builder.AddAzureOpenAIChatCompletion(deployment, azureEndpoint, key, httpClient: http);
            return ($"Azure OpenAI deployment {deployment} at {azureEndpoint}", false, new ModelSetup("azure", azureEndpoint, deployment));
        }

        var openAiKey = settings.ApiKey ?? configuration["OPENAI_API_KEY"];
        if (!string.IsNullOrWhiteSpace(openAiKey))
        {
            TerminalText.Secrets.Add(openAiKey);
            var chosen = model ?? "gpt-4o-mini";
            builder.AddOpenAIChatCompletion(chosen, openAiKey, httpClient: http);
            return ($"OpenAI {chosen}", false, new ModelSetup("openai", null, chosen));
        }

        if (model is not null)
        {
            throw new CliSetupException("no API key: set OPENAI_API_KEY, or use --endpoint or --offline.");
        }

        builder.AddPlansmithOfflineModel();
        return ("offline — Plansmith's built-in rule-based model (not a language model)", true, new ModelSetup("offline", null, null));
    }
}

/// <summary>Which model a command set up: <c>offline</c>, <c>endpoint</c> (OpenAI-compatible), <c>azure</c> or <c>openai</c>; never a key.</summary>
internal sealed record ModelSetup(string Provider, string? Endpoint, string? Model);
