using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Plansmith.Cli.Setup;

/// <summary>
/// The settings a command runs with, from (lowest to highest) the user's settings file
/// (<c>$XDG_CONFIG_HOME/plansmith/appsettings.json</c>, by default
/// <c>~/.config/plansmith/appsettings.json</c>), <c>./appsettings.json</c> (or <c>--config FILE</c>),
/// and environment variables; flags win over all of them. Mistakes name the file, the line and
/// position or the setting, and the fix.
/// </summary>
internal static partial class Settings
{
    /// <summary>The user-level settings file, whether or not it exists.</summary>
    public static string UserFile
    {
        get
        {
            var configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            if (string.IsNullOrWhiteSpace(configHome) || !Path.IsPathRooted(configHome))
            {
                configHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            }

            return Path.Combine(configHome, "plansmith", "appsettings.json");
        }
    }

    public static IConfiguration Load(FileInfo? explicitFile)
    {
        var builder = new ConfigurationBuilder();
        var files = new List<string>();
        if (File.Exists(UserFile))
        {
            files.Add(UserFile);
        }

        if (explicitFile is { } file)
        {
            if (!file.Exists)
            {
                throw new CliSetupException($"The settings file '{file.FullName}' {(Directory.Exists(file.FullName) ? "is a folder, not a file" : "does not exist")}. Give an existing file with --config, or leave it out to use ./appsettings.json.");
            }

            files.Add(file.FullName);
        }
        else if (File.Exists(Path.Combine(Environment.CurrentDirectory, "appsettings.json")))
        {
            files.Add(Path.Combine(Environment.CurrentDirectory, "appsettings.json"));
        }

        foreach (var path in files)
        {
            Check(path);
            builder.AddJsonFile(path, optional: false);
        }

        builder.AddEnvironmentVariables();
        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or JsonException or IOException or UnauthorizedAccessException)
        {
            throw new CliSetupException($"The settings could not be read: {ex.Message} Fix the file, or move it away.");
        }
    }

    /// <summary>Binds a section, turning a value of the wrong type into a message that names the setting and what it takes.</summary>
    public static void Bind(IConfiguration configuration, string section, object target)
    {
        try
        {
            configuration.GetSection(section).Bind(target);
        }
        catch (InvalidOperationException ex)
        {
            throw Explain(configuration, ex);
        }
    }

    /// <summary>Reads one value, with the same messages as <see cref="Bind"/>.</summary>
    public static T? Get<T>(IConfiguration configuration, string key)
    {
        try
        {
            return configuration.GetValue<T>(key);
        }
        catch (InvalidOperationException ex)
        {
            throw Explain(configuration, ex);
        }
    }

    /// <summary>Checks that a settings file is JSON, naming the line and position of the first mistake.</summary>
    private static void Check(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliSetupException($"The settings file '{path}' cannot be read ({ex.Message}). Check its permissions, or move it away.");
        }

        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CliSetupException($"The settings file '{path}' must hold a JSON object, e.g. {{\"Plansmith\": {{\"MaxReplans\": 2}}}}.");
            }
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var position = (ex.BytePositionInLine ?? 0) + 1;
            throw new CliSetupException(string.Create(CultureInfo.InvariantCulture, $"The settings file '{path}' is not valid JSON: line {line}, position {position}: {FirstSentence(ex.Message)} Fix it there, or move the file away."));
        }
    }

    private static CliSetupException Explain(IConfiguration configuration, InvalidOperationException ex)
    {
        var match = ConversionFailure().Match(ex.Message);
        if (!match.Success)
        {
            return new CliSetupException($"A setting could not be used: {ex.Message}", ex);
        }

        var key = match.Groups["key"].Value;
        var type = match.Groups["type"].Value;
        var value = configuration[key];
        var expected = type switch
        {
            _ when type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) => "a whole number, e.g. 3",
            _ when type.Contains("Double", StringComparison.Ordinal) || type.Contains("Single", StringComparison.Ordinal) || type.Contains("Decimal", StringComparison.Ordinal) => "a number, e.g. 0.5",
            _ when type.Contains("Boolean", StringComparison.Ordinal) => "true or false",
            _ when type.Contains("TimeSpan", StringComparison.Ordinal) => "a time span such as \"00:00:30\" (hh:mm:ss)",
            _ when type.Contains("Uri", StringComparison.Ordinal) => "a URL such as \"http://localhost:8080\"",
            _ => "a value of another kind (see docs/planning.md)",
        };
        var environment = key.Replace(":", "__", StringComparison.Ordinal);
        return new CliSetupException($"The setting {key} is '{value}', which is not {expected}. Fix it in the settings file, or in the environment variable {environment} if it is set there.", ex);
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }

    [GeneratedRegex(@"value '(?<value>[^']*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();
}
