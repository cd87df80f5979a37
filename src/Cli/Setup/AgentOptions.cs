using System.CommandLine;

namespace Plansmith.Cli.Setup;

/// <summary>
/// The options that set up the agent — provider, corpus, prompts, configuration — declared once
/// and added to every command that needs them, so they work the same everywhere.
/// </summary>
internal sealed class AgentOptions
{
    public Option<string?> Endpoint { get; } = new("--endpoint") { Description = "An OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (Ollama, vLLM, llama.cpp, LM Studio). Needs --model." };

    public Option<string?> Model { get; } = new("--model") { Description = "The model (or Azure deployment) to use." };

    public Option<string?> ApiKey { get; } = new("--api-key") { Description = "The API key (prefer the OPENAI_API_KEY or AZURE_OPENAI_API_KEY environment variable: keys on the command line are visible to other users)." };

    public Option<string?> AzureEndpoint { get; } = new("--azure-endpoint") { Description = "An Azure OpenAI resource endpoint, e.g. https://NAME.openai.azure.com/ (with --model as the deployment)." };

    public Option<bool> Offline { get; } = new("--offline") { Description = "Use the built-in offline model: rule-based, no key, no network." };

    public Option<DirectoryInfo?> Corpus { get; } = new("--corpus") { Description = "A folder of documents for search.search." };

    public Option<DirectoryInfo?> Prompts { get; } = new("--prompts") { Description = "A folder of prompt directories that replace the built-in prompts (see prompts/README.md)." };

    public Option<DirectoryInfo?> Root { get; } = new("--root") { Description = "The folder files.list and files.read may read (default: the current folder)." };

    public Option<FileInfo?> Store { get; } = new("--store") { Description = "The run store (SQLite) to record runs in; default: runs.db under the user's local data folder." };

    public Option<bool> NoStore { get; } = new("--no-store") { Description = "Do not record this run." };

    public Option<FileInfo?> Config { get; } = new("--config") { Description = "A settings file (default: appsettings.json in the current folder, if there is one)." };

    public Option<bool> Verbose { get; } = new("--verbose") { Description = "Log details to standard error." };

    public Option<string?> Trace { get; } = new("--trace") { Description = "Print OpenTelemetry spans and metrics: 'console'." };

    public Option<string?> Otlp { get; } = new("--otlp") { Description = "Send OpenTelemetry spans and metrics to an OTLP endpoint, e.g. http://localhost:4317." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Endpoint, Model, ApiKey, AzureEndpoint, Offline, Corpus, Prompts, Root, Store, NoStore, Config, Verbose, Trace, Otlp })
        {
            command.Options.Add(option);
        }
    }

    public AgentSettings Read(ParseResult parse) => new(
        parse.GetValue(Endpoint),
        parse.GetValue(Model),
        parse.GetValue(ApiKey),
        parse.GetValue(AzureEndpoint),
        parse.GetValue(Offline),
        parse.GetValue(Corpus),
        parse.GetValue(Prompts),
        parse.GetValue(Root),
        parse.GetValue(Store),
        parse.GetValue(NoStore),
        parse.GetValue(Config),
        parse.GetValue(Verbose),
        parse.GetValue(Trace),
        parse.GetValue(Otlp));
}

/// <summary>What the agent options said on the command line.</summary>
internal sealed record AgentSettings(
    string? Endpoint,
    string? Model,
    string? ApiKey,
    string? AzureEndpoint,
    bool Offline,
    DirectoryInfo? Corpus,
    DirectoryInfo? Prompts,
    DirectoryInfo? Root,
    FileInfo? Store,
    bool NoStore,
    FileInfo? Config,
    bool Verbose,
    string? Trace = null,
    string? Otlp = null);
