using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.SemanticKernel;
using Plansmith.Agent.Runs;
using Plansmith.Agent.Planning;

namespace Plansmith.Plugins.Analyze;

/// <summary>
/// Analysis with code: run a program in a sandbox, or let the model write one that answers a
/// question about data, run it, and on an error show the model the error and let it try again,
/// a bounded number of times.
/// </summary>
public sealed partial class AnalyzePlugin
{
    /// <summary>The name the plugin is registered under.</summary>
    public const string DefaultName = "analyze";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };
    private readonly Dictionary<string, ICodeSandbox> _sandboxes;
    private readonly AnalyzeOptions _options;
    private readonly PromptLibrary? _prompts;

    /// <summary>Creates the plugin over the given sandboxes.</summary>
    /// <param name="sandboxes">One per language.</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="prompts">The prompts (for <c>analyze</c>); without them only <c>run_code</c> works.</param>
    public AnalyzePlugin(IEnumerable<ICodeSandbox> sandboxes, AnalyzeOptions? options = null, PromptLibrary? prompts = null)
    {
        ArgumentNullException.ThrowIfNull(sandboxes);
        _sandboxes = sandboxes.ToDictionary(s => s.Language, StringComparer.OrdinalIgnoreCase);
        _options = options ?? new AnalyzeOptions();
        _prompts = prompts;
    }

    /// <summary>Runs a program in the sandbox.</summary>
    [Idempotent]
    [KernelFunction("run_code"), Description("Runs a program in a sandbox (no network, no host files, limited time and memory) and returns JSON: stdout, stderr, exitCode, duration and the limit hit, if any.")]
    public async Task<string> RunCodeAsync(
        [Description("The language: python or javascript.")] string language,
        [Description("The program's source code.")] string code,
        CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(language, code, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Serialize(result, Json);
    }

    /// <summary>Answers a question about data by having the model write code and running it.</summary>
    [Idempotent]
    [KernelFunction("analyze"), Description("Answers a question about data (JSON, CSV or text) by writing a program, running it in a sandbox and fixing it when it fails. Returns JSON with the answer and the program.")]
    public async Task<string> AnalyzeAsync(
        Kernel kernel,
        [Description("The data to analyse, as text.")] string data,
        [Description("The question to answer about the data.")] string question,
        [Description("The language to write the program in: python or javascript; empty to pick one that is available.")] string language = "",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        var prompts = _prompts ?? throw new InvalidOperationException("The analyze function needs the prompt library; create AnalyzePlugin with one.");
        if (data.Length > _options.MaxDataChars)
        {
            throw new ArgumentException($"The data has {data.Length} characters; at most {_options.MaxDataChars} can be analysed at once. Select the part the question needs first.", nameof(data));
        }

        var chosen = string.IsNullOrWhiteSpace(language) ? PickLanguage() : language.Trim().ToLowerInvariant();
        var feedback = string.Empty;
        CodeRunResult? last = null;
        var code = string.Empty;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            var preview = data.Length > _options.DataPreviewChars ? data[.._options.DataPreviewChars] + $"\n[… {data.Length - _options.DataPreviewChars} more characters in DATA]" : data;
            var reply = await prompts.InvokeAsync(kernel, new AnalyzeCodeInputs(chosen, question, preview, feedback), cancellationToken: cancellationToken).ConfigureAwait(false);
            code = ExtractCode(reply.GetValue<string>() ?? string.Empty);
            last = await RunAsync(chosen, Prelude(chosen, data) + code, cancellationToken).ConfigureAwait(false);
            if (last.Succeeded && last.Stdout.Trim().Length > 0)
            {
                return JsonSerializer.Serialize(new { answer = last.Stdout.Trim(), language = chosen, code, attempts = attempt }, Json);
            }

            feedback = await prompts.RenderFragmentAsync(
                PromptNames.AnalyzeCode,
                new AnalyzeFeedbackInputs(
                    attempt,
                    _options.MaxAttempts,
                    chosen,
                    code,
                    last.LimitHit?.ToString() ?? "none",
                    last.ExitCode,
                    last.Stdout.Trim().Length == 0 ? "nothing" : Tail(last.Stdout, 500),
                    Tail(last.Stderr, 2_000)),
                cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"The analysis failed after {_options.MaxAttempts} programs. Last error (exit {last!.ExitCode}{(last.LimitHit is { } hit ? ", " + hit + " limit" : string.Empty)}): {Tail(last.Stderr, 500)}");
    }

    private async Task<CodeRunResult> RunAsync(string language, string code, CancellationToken cancellationToken)
    {
        if (!_sandboxes.TryGetValue(language.Trim(), out var sandbox))
        {
            throw new ArgumentException($"No sandbox runs '{language}'. Available: {string.Join(", ", _sandboxes.Keys)}.", nameof(language));
        }

        if (sandbox.Unavailable is { } why)
        {
            throw new SandboxUnavailableException(why);
        }

        return await sandbox.RunAsync(code, _options.Limits, cancellationToken).ConfigureAwait(false);
    }

    private string PickLanguage() =>
        _sandboxes.TryGetValue("python", out var python) && python.Unavailable is null ? "python"
        : _sandboxes.ContainsKey("javascript") ? "javascript"
        : _sandboxes.Keys.FirstOrDefault() ?? throw new InvalidOperationException("No code sandbox is configured.");

    /// <summary>Defines DATA before the model's code, as a string literal valid in both languages.</summary>
    private static string Prelude(string language, string data)
    {
        var python = language == "python";
        var literal = StringLiteral(data, python);
        return python ? $"DATA = {literal}\n" : $"const DATA = {literal};\n";
    }

    /// <summary>
    /// A double-quoted string literal in pure ASCII: every other character is escaped, so no text
    /// (NUL, line or paragraph separators, bidirectional marks) can end the literal or change how the
    /// program reads. A lone surrogate, which neither UTF-8 nor a Python print can carry, becomes
    /// U+FFFD; a pair becomes one code point in Python (<c>\U0001F600</c>) and stays a pair in JavaScript.
    /// </summary>
    internal static string StringLiteral(string text, bool python)
    {
        var builder = new StringBuilder(text.Length + 16);
        builder.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                builder.Append(c);
            }
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (python)
                {
                    builder.Append(CultureInfo.InvariantCulture, $"\\U{char.ConvertToUtf32(c, text[i + 1]):x8}");
                }
                else
                {
                    builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}\\u{(int)text[i + 1]:x4}");
                }

                i++;
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(char.IsSurrogate(c) ? 0xFFFD : c):x4}");
            }
        }

        return builder.Append('"').ToString();
    }

    internal static string ExtractCode(string reply)
    {
        var match = Fence().Match(reply);
        return match.Success ? match.Groups["code"].Value.Trim('\n') : reply.Trim();
    }

    private static string Tail(string text, int max) => text.Length <= max ? text : "…" + text[^max..];

    [GeneratedRegex(@"```[a-zA-Z0-9_+-]*[ \t]*\n(?<code>.*?)(```|$)", RegexOptions.Singleline)]
    private static partial Regex Fence();
}
