using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Planning;

/// <summary>
/// The prompt functions Plansmith calls. The built-in prompts ship inside this assembly; a folder
/// of SK prompt directories (<c>NAME/skprompt.txt</c> + <c>NAME/config.json</c>) replaces them
/// function by function. Every function is checked when loaded: required inputs declared and used,
/// the template a well-formed chat prompt. The folder is watched: after an edit the library
/// reloads (debounced); a broken edit is reported and the last good version stays in use.
/// </summary>
public sealed partial class PromptLibrary : IDisposable
{
    /// <summary>What <see cref="PromptInfo.Source"/> says of a built-in prompt.</summary>
    public const string BuiltInSource = "built-in";

    private const string ResourcePrefix = "plansmith-prompts/";
    private readonly PromptLibraryOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Lock _reloadLock = new();
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _reloadTimer;
    private volatile IReadOnlyDictionary<string, Entry> _entries;

    /// <summary>Loads the built-in prompts and, when configured, the override folder.</summary>
    /// <exception cref="PromptLibraryException">A prompt is missing or broken; every problem is listed with its file.</exception>
    public PromptLibrary(PromptLibraryOptions? options = null, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new PromptLibraryOptions();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<PromptLibrary>();
        if (_options.Directory is { } directory && !System.IO.Directory.Exists(directory))
        {
            throw new PromptLibraryException([$"The prompt folder '{Path.GetFullPath(directory)}' does not exist. Create it, or leave the prompt folder unset to use the built-in prompts."]);
        }

        _entries = Load(out var problems);
        if (problems.Count > 0)
        {
            throw new PromptLibraryException(problems);
        }

        if (_options.Directory is not null && _options.Watch)
        {
            _reloadTimer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => ReloadFromWatcher(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _watcher = new FileSystemWatcher(Path.GetFullPath(_options.Directory))
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Changed += OnFileChanged;
            _watcher.Created += OnFileChanged;
            _watcher.Deleted += OnFileChanged;
            _watcher.Renamed += OnFileChanged;
            _watcher.EnableRaisingEvents = true;
        }
    }

    /// <summary>Raised after every reload, successful or not.</summary>
    public event EventHandler<PromptReloadResult>? Reloaded;

    /// <summary>Why the last reload failed, or null when the files on disk are in use.</summary>
    public string? LastReloadError { get; private set; }

    /// <summary>The override folder, or null.</summary>
    public string? Directory => _options.Directory;

    /// <summary>The prompt function with this name.</summary>
    /// <exception cref="KeyNotFoundException">No prompt has this name.</exception>
    public KernelFunction Get(string name) =>
        _entries.TryGetValue(name, out var entry)
            ? entry.Function
            : throw new KeyNotFoundException($"No prompt named '{name}'. Known prompts: {string.Join(", ", _entries.Keys.Order(StringComparer.Ordinal))}.");

    /// <summary>
    /// Invokes the prompt <paramref name="inputs"/> are for, with <see cref="PromptCall.Current"/> set
    /// for the call so the chat service (and the <c>X-Plansmith-Prompt</c> header) know which prompt
    /// the request belongs to. Call Plansmith's prompts through here, not through <see cref="Get"/>.
    /// </summary>
    /// <param name="kernel">The kernel to call through.</param>
    /// <param name="inputs">The prompt's inputs; they name the prompt.</param>
    /// <param name="arguments">Arguments with execution settings to use instead of the prompt's own; built from <paramref name="inputs"/> when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<FunctionResult> InvokeAsync(Kernel kernel, PromptInputs inputs, KernelArguments? arguments = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(inputs);
        var function = Get(inputs.Prompt);
        using (PromptCall.Begin(new PromptCall(inputs.Prompt, inputs)))
        {
            return await function.InvokeAsync(kernel, arguments ?? inputs.ToArguments(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The text of a prompt's fragment (<c>PROMPT/FRAGMENT.txt</c>) with its inputs filled in, to pass
    /// as one of the prompt's inputs. Values are not encoded here: the prompt encodes its inputs.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The prompt has no such fragment.</exception>
    public async Task<string> RenderFragmentAsync(string prompt, FragmentInputs inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var entry = _entries.TryGetValue(prompt, out var found)
            ? found
            : throw new KeyNotFoundException($"No prompt named '{prompt}'.");
        var template = entry.Fragments.TryGetValue(inputs.Fragment, out var text)
            ? text
            : throw new KeyNotFoundException($"Prompt '{prompt}' has no fragment '{inputs.Fragment}': add {prompt}/{inputs.Fragment}.txt.");
        var config = new PromptTemplateConfig(template) { AllowDangerouslySetContent = true };
        var rendered = await new KernelPromptTemplateFactory { AllowDangerouslySetContent = true }.Create(config).RenderAsync(new Kernel(), inputs.ToArguments(), cancellationToken).ConfigureAwait(false);
        return rendered.Trim();
    }

    /// <summary>Whether <paramref name="function"/> is one of the prompt functions in effect.</summary>
    public bool Owns(KernelFunction function) => _entries.Values.Any(e => ReferenceEquals(e.Function, function));

    /// <summary>Every prompt function in effect, by name.</summary>
    public IReadOnlyList<PromptInfo> List() =>
        [.. _entries.Values.OrderBy(e => e.Info.Name, StringComparer.Ordinal).Select(e => e.Info)];

    /// <summary>Reloads the override folder now. On failure the prompts in use stay as they were.</summary>
    public PromptReloadResult Reload()
    {
        PromptReloadResult result;
        lock (_reloadLock)
        {
            var entries = Load(out var problems);
            if (problems.Count == 0)
            {
                _entries = entries;
                LastReloadError = null;
                result = new PromptReloadResult(true, []);
                Log.Reloaded(_logger, _options.Directory ?? BuiltInSource);
            }
            else
            {
                LastReloadError = string.Join(" ", problems);
                result = new PromptReloadResult(false, problems);
                Log.ReloadFailed(_logger, LastReloadError);
            }
        }

        Reloaded?.Invoke(this, result);
        return result;
    }

    /// <summary>
    /// Checks a prompt folder without loading it: every function found there, and that the
    /// folder together with the built-in prompts has every required function.
    /// </summary>
    public static IReadOnlyList<string> CheckDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            return [$"The prompt folder '{Path.GetFullPath(directory)}' does not exist."];
        }

        var problems = new List<string>();
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        LoadBuiltIn(entries, [], NullLoggerFactory.Instance);
        LoadDirectory(directory, entries, problems, NullLoggerFactory.Instance);
        return problems;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watcher?.Dispose();
        _reloadTimer?.Dispose();
    }

    private void OnFileChanged(object sender, FileSystemEventArgs e) =>
        _reloadTimer?.Change(_options.ReloadDelay, Timeout.InfiniteTimeSpan);

    private void ReloadFromWatcher()
    {
        try
        {
            Reload();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A file still being written: the next change event brings another reload.
            LastReloadError = ex.Message;
            Log.ReloadFailed(_logger, ex.Message);
        }
    }

    private Dictionary<string, Entry> Load(out List<string> problems)
    {
        problems = [];
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        LoadBuiltIn(entries, problems, _loggerFactory);
        if (_options.Directory is { } directory)
        {
            LoadDirectory(directory, entries, problems, _loggerFactory);
        }

        foreach (var name in PromptNames.RequiredInputs.Keys)
        {
            if (!entries.ContainsKey(name))
            {
                problems.Add($"Prompt '{name}' is missing: add {name}/skprompt.txt and {name}/config.json.");
            }
        }

        return entries;
    }

    private static void LoadBuiltIn(Dictionary<string, Entry> entries, List<string> problems, ILoggerFactory loggerFactory)
    {
        var assembly = typeof(PromptLibrary).Assembly;
        var names = assembly.GetManifestResourceNames()
            .Select(n => n.Replace('\\', '/'))
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith("/skprompt.txt", StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..^"/skprompt.txt".Length]);
        foreach (var name in names)
        {
            var template = ReadResource(assembly, $"{ResourcePrefix}{name}/skprompt.txt");
            var config = ReadResource(assembly, $"{ResourcePrefix}{name}/config.json");
            var fragments = assembly.GetManifestResourceNames()
                .Select(n => n.Replace('\\', '/'))
                .Where(n => n.StartsWith($"{ResourcePrefix}{name}/", StringComparison.Ordinal) && n.EndsWith(".txt", StringComparison.Ordinal) && !n.EndsWith("/skprompt.txt", StringComparison.Ordinal))
                .ToDictionary(n => n[($"{ResourcePrefix}{name}/".Length)..^".txt".Length], n => ReadResource(assembly, n)!, StringComparer.Ordinal);
            if (TryCreate(name, template, config, fragments, BuiltInSource, $"built-in {name}", problems, loggerFactory) is { } entry)
            {
                entries[name] = entry;
            }
        }
    }

    private static void LoadDirectory(string directory, Dictionary<string, Entry> entries, List<string> problems, ILoggerFactory loggerFactory)
    {
        foreach (var folder in System.IO.Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            var templatePath = Path.Combine(folder, "skprompt.txt");
            if (!File.Exists(templatePath))
            {
                continue;
            }

            var name = Path.GetFileName(folder);
            var configPath = Path.Combine(folder, "config.json");
            var config = File.Exists(configPath) ? File.ReadAllText(configPath) : null;

            // A fragment the folder does not have stays built in, like a prompt the folder does not have.
            var fragments = entries.TryGetValue(name, out var builtIn) ? new Dictionary<string, string>(builtIn.Fragments, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in System.IO.Directory.EnumerateFiles(folder, "*.txt").Where(f => Path.GetFileName(f) != "skprompt.txt"))
            {
                fragments[Path.GetFileNameWithoutExtension(file)] = File.ReadAllText(file);
            }

            if (TryCreate(name, File.ReadAllText(templatePath), config, fragments, Path.GetFullPath(folder), templatePath, problems, loggerFactory) is { } entry)
            {
                entries[name] = entry;
            }
        }
    }

    private static string? ReadResource(Assembly assembly, string name)
    {
        var actual = assembly.GetManifestResourceNames().FirstOrDefault(n => n.Replace('\\', '/') == name);
        if (actual is null)
        {
            return null;
        }

        using var stream = assembly.GetManifestResourceStream(actual)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static Entry? TryCreate(string name, string? template, string? configJson, Dictionary<string, string> fragments, string source, string where, List<string> problems, ILoggerFactory loggerFactory)
    {
        var before = problems.Count;
        if (string.IsNullOrWhiteSpace(template))
        {
            problems.Add($"{where}: the template is empty. Write the prompt in skprompt.txt.");
            return null;
        }

        PromptTemplateConfig config;
        try
        {
            config = configJson is null ? new PromptTemplateConfig() : PromptTemplateConfig.FromJson(configJson);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or NotSupportedException)
        {
            problems.Add($"{ConfigPath(where)}: not a valid prompt config ({ex.Message}). See prompts/README.md for its keys.");
            return null;
        }

        config.Name = name;
        config.Template = template;
        var declared = config.InputVariables.Select(v => v.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (PromptNames.RequiredInputs.TryGetValue(name, out var required))
        {
            foreach (var input in required)
            {
                if (!declared.Contains(input))
                {
                    problems.Add($"{ConfigPath(where)}: input '{input}' is not declared. Add {{\"name\": \"{input}\"}} to input_variables.");
                }

                if (!Used(template, input))
                {
                    problems.Add($"{where}: input '{input}' is never used. Put {{{{${input}}}}} where the prompt needs it.");
                }
            }
        }

        if (PromptNames.RequiredFragments.TryGetValue(name, out var requiredFragments))
        {
            var folder = where.EndsWith("skprompt.txt", StringComparison.Ordinal) ? where[..^"skprompt.txt".Length] : where + " ";
            foreach (var (fragment, inputsType) in requiredFragments)
            {
                if (!fragments.TryGetValue(fragment, out var text))
                {
                    problems.Add($"{folder}{fragment}.txt: the fragment is missing. Copy it from the built-in prompts.");
                    continue;
                }

                foreach (var input in InputNames.Of(inputsType))
                {
                    if (!Used(text, input))
                    {
                        problems.Add($"{folder}{fragment}.txt: input '{input}' is never used. Put {{{{${input}}}}} where the fragment needs it.");
                    }
                }
            }
        }

        CheckChatPrompt(template, where, problems);
        if (problems.Count > before)
        {
            return null;
        }

        try
        {
            var function = KernelFunctionFactory.CreateFromPrompt(config, loggerFactory: loggerFactory);
            var info = new PromptInfo(name, source, config.Description ?? string.Empty, [.. config.InputVariables.Select(v => v.Name)], template);
            return new Entry(function, info, fragments);
        }
        catch (Exception ex) when (ex is KernelException or ArgumentException)
        {
            problems.Add($"{where}: the template cannot be parsed ({ex.Message}).");
            return null;
        }
    }

    /// <summary>
    /// Semantic Kernel reads a rendered prompt as chat messages only when it is well-formed XML;
    /// otherwise it silently sends the whole text, encoded, as one user message.
    /// </summary>
    private static void CheckChatPrompt(string template, string where, List<string> problems)
    {
        var withoutBlocks = TemplateBlock().Replace(template, "x");
        try
        {
            var root = XDocument.Parse("<root>" + withoutBlocks + "</root>").Root!;
            if (!root.Elements("message").Any(m => m.Attribute("role") is not null))
            {
                problems.Add($"{where}: the template has no <message role=\"...\"> element. Write it as <message role=\"system\">…</message><message role=\"user\">…</message>.");
            }
        }
        catch (XmlException ex)
        {
            problems.Add($"{where}: the template is not well-formed XML ({ex.Message}). Write &lt; for < and &amp; for & outside the message tags' markup.");
        }
    }

    private static string ConfigPath(string where) =>
        where.EndsWith("skprompt.txt", StringComparison.Ordinal) ? where[..^"skprompt.txt".Length] + "config.json" : where + " config.json";

    [GeneratedRegex(@"\{\{.*?\}\}", RegexOptions.Singleline)]
    private static partial Regex TemplateBlock();

    private static bool Used(string template, string input) =>
        Regex.IsMatch(template, @"\{\{\s*\$" + Regex.Escape(input) + @"\s*\}\}", RegexOptions.IgnoreCase);

    private sealed record Entry(KernelFunction Function, PromptInfo Info, IReadOnlyDictionary<string, string> Fragments);

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Prompts reloaded from {Source}")]
        public static partial void Reloaded(ILogger logger, string source);

        [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Prompt reload failed; keeping the last good prompts: {Problems}")]
        public static partial void ReloadFailed(ILogger logger, string problems);
    }
}
