using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Plansmith.Agent.Planning;
using Plansmith.Agent.Runs;
using Plansmith.Cli.Setup;

namespace Plansmith.Cli.Eval;

/// <summary>A suite of eval cases, read from a JSON file (see <c>eval/starter.json</c>).</summary>
internal sealed record EvalSuite
{
    /// <summary>What the suite covers.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>The cases, run in order.</summary>
    public IReadOnlyList<EvalCase> Cases { get; init; } = [];

    /// <summary>The suite file's folder: a case's corpus and root are relative to it.</summary>
    [JsonIgnore]
    public string Folder { get; init; } = string.Empty;

    /// <summary>Suite files larger than this are refused: 1 MiB.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // A misspelt assertion would otherwise be ignored and the case could never fail on it.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and checks a suite file. Throws <see cref="CliSetupException"/> naming every problem.</summary>
    public static async Task<EvalSuite> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var text = await Commands.InputFiles.ReadFileAsync(path, "suite file", "Give a suite of eval cases as JSON (see eval/starter.json).", MaxFileBytes, cancellationToken);
        EvalSuite? suite;
        try
        {
            suite = JsonSerializer.Deserialize<EvalSuite>(text, Json);
        }
        catch (JsonException ex)
        {
            throw new CliSetupException($"the suite file '{path}' is not a valid suite ({ex.Message}). See eval/starter.json for the format.");
        }

        if (suite is null)
        {
            throw new CliSetupException($"the suite file '{path}' is empty (null). See eval/starter.json for the format.");
        }

        suite = suite with { Folder = Path.GetDirectoryName(Path.GetFullPath(path))! };
        var problems = suite.Check();
        if (problems.Count > 0)
        {
            throw new CliSetupException($"the suite file '{path}' has {problems.Count} problem(s): {string.Join(" ", problems)} See eval/starter.json for the format.");
        }

        return suite;
    }

    /// <summary>Every problem of the suite: missing names and goals, duplicate names, bad modes, folders or patterns, cases that assert nothing.</summary>
    public List<string> Check()
    {
        var problems = new List<string>();
        if (Cases.Count == 0)
        {
            problems.Add("it has no cases.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Cases.Count; i++)
        {
            var c = Cases[i];
            var label = string.IsNullOrWhiteSpace(c.Name) ? $"case {i + 1}" : $"case '{c.Name}'";
            if (string.IsNullOrWhiteSpace(c.Name))
            {
                problems.Add($"{label} has no name.");
            }
            else if (!names.Add(c.Name))
            {
                problems.Add($"{label} appears twice; give each case its own name.");
            }

            if (string.IsNullOrWhiteSpace(c.Goal))
            {
                problems.Add($"{label} has no goal.");
            }

            if (c.Mode is { } mode && (!Enum.TryParse<PlanningMode>(mode, ignoreCase: true, out _) || !mode.All(char.IsLetter)))
            {
                problems.Add($"{label}: mode '{mode}' is not linear, dag, hierarchical or adaptive.");
            }

            foreach (var (what, folder) in new[] { ("corpus", c.Corpus), ("root", c.Root) })
            {
                if (folder is not null && !Directory.Exists(Resolve(folder)))
                {
                    problems.Add($"{label}: {what} folder '{Resolve(folder)}' does not exist (relative paths start at the suite file's folder).");
                }
            }

            problems.AddRange(c.Expect.Check().Select(p => $"{label}: {p}"));
        }

        return problems;
    }

    /// <summary>A case's folder, relative to the suite file.</summary>
    public string Resolve(string folder) => Path.GetFullPath(Path.Combine(Folder, folder));
}

/// <summary>One goal to run and what must be true of the run.</summary>
internal sealed record EvalCase
{
    public string Name { get; init; } = string.Empty;

    public string Goal { get; init; } = string.Empty;

    /// <summary>A folder of documents for search.search, relative to the suite file.</summary>
    public string? Corpus { get; init; }

    /// <summary>The folder files.list and files.read may read, relative to the suite file; default: the corpus, else the suite's folder.</summary>
    public string? Root { get; init; }

    /// <summary>linear, dag, hierarchical or adaptive; default: the configured settings.</summary>
    public string? Mode { get; init; }

    public EvalLimits Limits { get; init; } = new();

    public EvalExpectations Expect { get; init; } = new();
}

/// <summary>Limits a case runs with; null keeps the mode's or the settings' value.</summary>
internal sealed record EvalLimits
{
    public int? MaxSteps { get; init; }

    public int? MaxReplans { get; init; }

    public int? MaxParallel { get; init; }

    public int? MaxDepth { get; init; }
}

/// <summary>The assertions of a case; each one left out is not checked.</summary>
internal sealed record EvalExpectations
{
    /// <summary>How the run must end: completed, answered (routed without a plan), failed, budgetExhausted, rejected.</summary>
    public string? Status { get; init; }

    /// <summary>The first plan_create answer was a valid plan (no rejected attempt).</summary>
    public bool? PlanValidFirstAttempt { get; init; }

    /// <summary>The final plan's step count is within this range.</summary>
    public EvalRange? Steps { get; init; }

    /// <summary>Tools (plugin.function) a step of the final plan or a subplan must call.</summary>
    public IReadOnlyList<string> UsesTools { get; init; } = [];

    /// <summary>Tools no version of the plan may call.</summary>
    public IReadOnlyList<string> AvoidsTools { get; init; } = [];

    /// <summary>Whether the final plan has a verify step (true) or must not have one (false).</summary>
    public bool? HasVerifyStep { get; init; }

    /// <summary>The final plan has a verify step and every verify step passed.</summary>
    public bool? VerificationPassed { get; init; }

    public int? MaxModelCalls { get; init; }

    public long? MaxTokens { get; init; }

    /// <summary>Terms the answer must contain (case-insensitive).</summary>
    public IReadOnlyList<string> AnswerMentions { get; init; } = [];

    /// <summary>A regular expression the answer must match.</summary>
    public string? AnswerMatches { get; init; }

    public List<string> Check()
    {
        var problems = new List<string>();
        if (Status is not null && !Enum.TryParse<AgentRunStatus>(Status, ignoreCase: true, out _))
        {
            problems.Add($"expect.status '{Status}' is not one of {string.Join(", ", Enum.GetNames<AgentRunStatus>().Select(JsonNamingPolicy.CamelCase.ConvertName))}.");
        }

        if (Steps is { } range && (range.Min is < 0 || range.Max is < 0 || range.Min > range.Max || (range.Min is null && range.Max is null)))
        {
            problems.Add("expect.steps needs min and/or max, each 0 or more, min not above max.");
        }

        if (PlanValidFirstAttempt is false || VerificationPassed is false)
        {
            problems.Add("expect.planValidFirstAttempt and expect.verificationPassed take true (leave them out to not check).");
        }

        if (AnswerMatches is not null)
        {
            try
            {
                _ = new Regex(AnswerMatches, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException ex)
            {
                problems.Add($"expect.answerMatches is not a valid regular expression ({ex.Message}).");
            }
        }

        var asserts = Status is not null || PlanValidFirstAttempt is not null || Steps is not null || UsesTools.Count > 0 || AvoidsTools.Count > 0
            || HasVerifyStep is not null || VerificationPassed is not null || MaxModelCalls is not null || MaxTokens is not null || AnswerMentions.Count > 0 || AnswerMatches is not null;
        if (!asserts)
        {
            problems.Add("expect has no assertion, so the case cannot fail. Add at least one (status, steps, usesTools, answerMentions, …).");
        }

        return problems;
    }
}

/// <summary>An inclusive range; a bound left out is open.</summary>
internal sealed record EvalRange(int? Min, int? Max);
