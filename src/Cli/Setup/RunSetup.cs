using System.Text.Json;
using System.Text.Json.Serialization;

namespace Plansmith.Cli.Setup;

/// <summary>
/// The model and tool folders a run was set up with, recorded in the run store (never a key), so
/// that <c>plansmith resume</c> carries on with the same model, corpus, root and prompts instead
/// of whatever the new command line happens to default to.
/// </summary>
internal sealed record RunSetup(string Provider, string? Endpoint, string? Model, string? Corpus, string? Root, string? Prompts)
{
    /// <summary>The key under <c>Metadata</c> in a stored run's options JSON.</summary>
    public const string Key = "plansmith.cli.setup";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The setup recorded in a stored run's options JSON, or null for runs recorded without one.</summary>
    public static RunSetup? FromOptionsJson(string optionsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(optionsJson);
            if (document.RootElement.TryGetProperty("Metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
                && metadata.TryGetProperty(Key, out var setup) && setup.ValueKind == JsonValueKind.String)
            {
                return JsonSerializer.Deserialize<RunSetup>(setup.GetString()!, Json);
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>
    /// The command line's settings with the recorded setup filled in where no flag was given; a
    /// flag that differs wins, with a warning. Returns the merged settings and one line saying what is reused.
    /// </summary>
    public (AgentSettings Settings, string Reused, IReadOnlyList<string> Warnings) ApplyTo(AgentSettings settings)
    {
        var warnings = new List<string>();
        var reused = new List<string>();
        var flagsChooseModel = settings.Offline || settings.Endpoint is not null || settings.AzureEndpoint is not null;
        if (flagsChooseModel || settings.Model is not null)
        {
            var now = settings.Offline ? "the offline model" : settings.Endpoint ?? settings.AzureEndpoint ?? "OpenAI";
            if (Describe() != (settings.Model is null ? now : $"{settings.Model} at {now}"))
            {
                warnings.Add($"the run started with {Describe()}; continuing with {(settings.Model is null ? now : $"{settings.Model} at {now}")} as the flags say. One answer may now mix two models.");
            }
        }

        switch (Provider)
        {
            case "offline" when !flagsChooseModel && settings.Model is null:
                settings = settings with { Offline = true };
                reused.Add("the offline model");
                break;
            case "endpoint" when !flagsChooseModel:
                settings = settings with { Endpoint = Endpoint, Model = settings.Model ?? Model };
                reused.Add($"model {settings.Model} at {Endpoint}");
                break;
            case "azure" when !flagsChooseModel:
                settings = settings with { AzureEndpoint = Endpoint, Model = settings.Model ?? Model };
                reused.Add($"Azure OpenAI deployment {settings.Model} at {Endpoint}");
                break;
            case "openai" when !flagsChooseModel:
                settings = settings with { Model = settings.Model ?? Model };
                reused.Add($"OpenAI {settings.Model}");
                break;
        }

        settings = Folder(settings, Corpus, settings.Corpus, "--corpus", "corpus", (s, d) => s with { Corpus = d }, reused, warnings);
        settings = Folder(settings, Root, settings.Root, "--root", "root", (s, d) => s with { Root = d }, reused, warnings);
        settings = Folder(settings, Prompts, settings.Prompts, "--prompts", "prompts", (s, d) => s with { Prompts = d }, reused, warnings);
        return (settings, reused.Count == 0 ? string.Empty : "Reusing the run's setup: " + string.Join(", ", reused) + " (the key comes from the environment or flags as usual).", warnings);
    }

    private string Describe() => Provider switch
    {
        "offline" => "the offline model",
        "openai" => $"{Model} at OpenAI",
        _ => $"{Model} at {Endpoint}",
    };

    private static AgentSettings Folder(AgentSettings settings, string? recorded, DirectoryInfo? given, string flag, string name, Func<AgentSettings, DirectoryInfo, AgentSettings> set, List<string> reused, List<string> warnings)
    {
        if (recorded is null)
        {
            return settings;
        }

        if (given is null)
        {
            reused.Add($"{name} {recorded}");
            return set(settings, new DirectoryInfo(recorded));
        }

        if (!string.Equals(Path.TrimEndingDirectorySeparator(given.FullName), Path.TrimEndingDirectorySeparator(recorded), StringComparison.Ordinal))
        {
            warnings.Add($"the run started with {name} {recorded}; continuing with {flag} {given.FullName} as the flags say.");
        }

        return settings;
    }
}
