using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Plansmith.Agent.Planning;

namespace Plansmith.Agent.Offline;

/// <summary>
/// Plansmith's built-in offline model: deterministic rules, not a language model. It knows which
/// of Plansmith's prompts a request comes from by the prompt's name and reads that prompt's typed
/// inputs (<see cref="PromptCall.Current"/>), never the prompt's wording, so prompts can be reworded
/// freely. It answers each in its output contract —
/// plans that break the goal into search, analysis and verification steps over the items the goal
/// names, approvals, tool calls chosen by matching the step's words to tool descriptions, and
/// answers put together from the step results. It lets the whole pipeline run with no key: first
/// contact, demos and end-to-end tests. A request from anything else gets a short generic reply.
/// </summary>
public sealed partial class OfflineChatClient : IChatClient
{
    /// <summary>The model id it reports.</summary>
    public const string ModelId = "plansmith-offline";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var reply = Respond(list, options, PromptCall.Current);
        var usage = new UsageDetails
        {
            InputTokenCount = list.Sum(m => m.Text.Length) / 4,
            OutputTokenCount = (reply.Text?.Length ?? 64) / 4,
        };
        usage.TotalTokenCount = usage.InputTokenCount + usage.OutputTokenCount;
        var message = reply.Call is { } call
            ? new ChatMessage(ChatRole.Assistant, [call])
            : new ChatMessage(ChatRole.Assistant, reply.Text);
        return Task.FromResult(new ChatResponse(message) { ModelId = ModelId, Usage = usage, FinishReason = reply.Call is null ? ChatFinishReason.Stop : ChatFinishReason.ToolCalls });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceType == typeof(ChatClientMetadata)
            ? new ChatClientMetadata("plansmith-offline", null, ModelId)
            : serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static Reply Respond(List<ChatMessage> messages, ChatOptions? options, PromptCall? call) => call?.Inputs switch
    {
        RouteInputs route => Route(route.Request),
        PlanDecomposeInputs => Text(JsonSerializer.Serialize(new { atomic = true })),
        PlanCreateInputs create => Text(OfflinePlanner.Create(create.Goal, create.Tools, create.Feedback.Length > 0)),
        PlanReflectInputs => Text(JsonSerializer.Serialize(new { approved = true, issues = Array.Empty<string>() })),
        PlanReviseInputs revise => Text(OfflinePlanner.Revise(revise.Goal, revise.Plan, revise.Completed)),
        StepExecuteInputs execute => Execute(messages, execute, options),
        StepVerifyInputs verify => Verify(verify),
        CompareInputs compare => Text(OfflineWriter.Compare(compare.Criteria, compare.Items)),
        SynthesizeInputs synthesize => Text(OfflineWriter.Answer(synthesize.Goal, synthesize.Results, synthesize.Partial, synthesize.PartialReason)),
        AnalyzeCodeInputs analyze => Text(OfflineWriter.AnalysisProgram(analyze.Language)),

        // Not one of Plansmith's prompts (a host's own call, say): the offline model has no rules for it.
        _ => Text("The offline model only answers Plansmith's own prompts; configure a real model (--endpoint, OPENAI_API_KEY) for anything else."),
    };

    private static Reply Route(string request)
    {
        var words = Words(request);
        var greeting = words.Count <= 4 && words.Any(w => w is "hi" or "hello" or "hey" or "thanks" or "thank" or "bye");
        return Text(greeting
            ? JsonSerializer.Serialize(new { plan = false, answer = "Hello! I'm Plansmith running on its built-in offline model, which follows rules rather than understanding language. Give me a goal — for example \"Compare Flask and FastAPI routing\" — and I'll plan it, run the steps and write what the results say." })
            : JsonSerializer.Serialize(new { plan = true, answer = string.Empty }));
    }

    private static Reply Execute(List<ChatMessage> messages, StepExecuteInputs inputs, ChatOptions? options)
    {
        var step = inputs.Step;
        var context = inputs.Context;
        var hasContext = context.Trim() is not ("" or "none");
        var results = messages.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).ToList();
        if (results.Count > 0)
        {
            var texts = results.Select(r => r.Result?.ToString() ?? string.Empty).ToList();
            var usable = texts.Where(t => !IsError(t)).ToList();
            if (usable.Count > 0)
            {
                return Text($"{step}:\n{string.Join("\n", usable.Select(OfflineWriter.Digest))}");
            }

            // Every call failed: work from the earlier results if there are any; otherwise there is
            // nothing to say but the error, and the step executor fails the step with it.
            return Text(hasContext ? $"{step}:\n{OfflineWriter.DigestResults(context)}" : string.Join("\n", texts));
        }

        var tools = options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        if (Choose(tools, step, context, hasContext) is { } call)
        {
            return new Reply(null, new FunctionCallContent("offline_call_1", call.Tool.Name, call.Arguments));
        }

        return Text(hasContext
            ? $"{step}:\n{OfflineWriter.DigestResults(context)}"
            : $"{step}: the offline model has no results to work from for this step.");
    }

    /// <summary>
    /// The tool to call for a step, with arguments every one of its required parameters accepts, or
    /// null. A step with results to work from calls a tool only when it names the tool's function
    /// ("Analyze …", "Compare …"): summarising is the offline model's own job. A question with no
    /// results yet goes to a search tool first; otherwise the tool whose name and description share
    /// the most words with the step.
    /// </summary>
    private static (AIFunctionDeclaration Tool, Dictionary<string, object?> Arguments)? Choose(List<AIFunctionDeclaration> tools, string step, string context, bool hasContext)
    {
        var stepWords = Words(step).ToHashSet(StringComparer.Ordinal);
        IEnumerable<AIFunctionDeclaration> candidates;
        if (hasContext)
        {
            candidates = tools.Where(t => FunctionName(t).Split('_').All(stepWords.Contains)).OrderBy(t => t.Name, StringComparer.Ordinal);
        }
        else
        {
            var ranked = tools
                .Select(t => (Tool: t, Score: Overlap(step, t.Name.Replace('_', ' ').Replace('-', ' ') + " " + t.Description)))
                .Where(t => t.Score > 0)
                .OrderByDescending(t => t.Score)
                .ThenBy(t => t.Tool.Name, StringComparer.Ordinal)
                .Select(t => t.Tool);
            IEnumerable<AIFunctionDeclaration> searches = IsQuestion(step) ? tools.Where(t => FunctionName(t) is "search" or "web_search").OrderBy(t => FunctionName(t) == "search" ? 0 : 1) : [];
            candidates = searches.Concat(ranked);
        }

        foreach (var tool in candidates.Distinct())
        {
            if (Arguments(tool, step, context) is { } arguments)
            {
                return (tool, arguments);
            }
        }

        return null;
    }

    private static string FunctionName(AIFunctionDeclaration tool)
    {
        var name = tool.Name;
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return (dash < 0 ? name : name[(dash + 1)..]).ToLowerInvariant();
    }

    private static bool IsQuestion(string step) =>
        step.TrimEnd().EndsWith('?') || QuestionStart().IsMatch(step);

    /// <summary>A tool result that is an error rather than data: what SK or the step's filter puts there when a call failed.</summary>
    private static bool IsError(string result) =>
        result.TrimStart().StartsWith("Error:", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A check the offline model can really make: that the earlier steps produced results, and, for
    /// a claim that lists items ("… every one of: A and B"), which items the results mention. It
    /// says what it checked; it cannot judge whether the results are right.
    /// </summary>
    private static Reply Verify(StepVerifyInputs inputs)
    {
        var claim = inputs.Claim;
        var context = inputs.Context.Trim();
        var passed = context.Length > 0 && context != "none";
        if (!passed)
        {
            return Text(JsonSerializer.Serialize(new { passed, reason = "Checked for results from the earlier steps: there are none, so there is nothing to check the claim against." }));
        }

        var colon = claim.LastIndexOf(':');
        var (items, _) = colon >= 0 ? OfflinePlanner.Items("Compare " + claim[(colon + 1)..]) : ([], string.Empty);
        var sentences = OfflineSentences.FromResult(context);
        var stems = Words(context).Select(OfflineSentences.Stem).ToHashSet(StringComparer.Ordinal);
        string reason;
        if (items.Count >= 2)
        {
            var mentioned = items.Where(i => OfflineSentences.Terms(i).Select(OfflineSentences.Stem).Any(stems.Contains)).ToList();
            var missing = items.Except(mentioned).ToList();
            reason = $"Checked that the earlier results mention each item: {(mentioned.Count > 0 ? string.Join(", ", mentioned) + " mentioned" : "none mentioned")}"
                + (missing.Count > 0 ? $"; {string.Join(", ", missing)} not mentioned, and the answer says so" : string.Empty)
                + $". The check looks for the items' names in {context.Length:N0} characters of results; it cannot tell whether what they say is right.";
        }
        else
        {
            reason = $"Checked that the earlier steps produced results for the claim ({context.Length:N0} characters, {sentences.Count} whole sentences); it cannot tell whether they are right: {claim}";
        }

        return Text(JsonSerializer.Serialize(new { passed, reason }));
    }

    /// <summary>
    /// Arguments for a tool's required parameters, each a value the parameter accepts, or null when
    /// one cannot be filled: a parameter that takes material (data, text, findings, items) gets the
    /// results the step depends on; one with allowed values (an enum, or "python or javascript" in
    /// its description) gets the allowed value the step names, else the first; one that needs
    /// something only a writer of code or a reader of paths could supply (code, a URL, a path) is
    /// filled only when the step holds one; other text parameters get the step's words. The offline
    /// model never calls a tool with a value it made up for a typed or constrained parameter.
    /// </summary>
    private static Dictionary<string, object?>? Arguments(AIFunctionDeclaration tool, string step, string context)
    {
        var schema = tool.JsonSchema;
        var required = schema.TryGetProperty("required", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => e.GetString()!).ToList()
            : [];
        var properties = schema.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Object ? props : default;
        var arguments = new Dictionary<string, object?>();
        var query = QueryText(step);
        var material = context.Trim() is "" or "none" ? query : context;
        foreach (var name in required)
        {
            var property = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var p) ? p : default;
            var type = property.ValueKind == JsonValueKind.Object && property.TryGetProperty("type", out var t) ? t.ToString() : "string";
            if (!type.Contains("string", StringComparison.Ordinal))
            {
                return null;
            }

            var allowed = AllowedValues(property);
            if (allowed.Count > 0)
            {
                arguments[name] = allowed.FirstOrDefault(v => Words(step).Contains(v.ToLowerInvariant())) ?? allowed[0];
                continue;
            }

            var value = name.ToLowerInvariant() switch
            {
                "data" or "text" or "findings" or "items" or "content" or "input" => material,
                "code" or "program" or "script" or "source" or "sql" or "expression" => null,
                "url" or "uri" or "link" => UrlPattern().Match(step) is { Success: true } url ? url.Value : null,
                "path" or "file" or "filename" or "folder" or "directory" => PathPattern().Match(step) is { Success: true } path ? path.Value : null,
                _ => query,
            };
            if (value is null)
            {
                return null;
            }

            arguments[name] = value;
        }

        return arguments;
    }

    /// <summary>The values a parameter accepts: its schema's enum, or the alternatives its description lists ("python or javascript", "a|b").</summary>
    internal static IReadOnlyList<string> AllowedValues(JsonElement property)
    {
        if (property.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        if (property.TryGetProperty("enum", out var values) && values.ValueKind == JsonValueKind.Array)
        {
            return [.. values.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)];
        }

        var description = property.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : string.Empty;
        var match = Alternatives().Match(description);
        if (!match.Success)
        {
            return [];
        }

        return [.. Regex.Split(match.Groups["list"].Value, @"\s*(?:\||,|\bor\b)\s*").Select(v => v.Trim().TrimEnd('.')).Where(v => v.Length > 0)];
    }

    private static string QueryText(string step) =>
        LeadingVerb().Replace(step, string.Empty).Trim().TrimEnd('.');

    private static int Overlap(string a, string b)
    {
        var left = Words(a).Where(w => w.Length > 2 && !OfflinePlanner.StopWords.Contains(w)).ToHashSet(StringComparer.Ordinal);
        return Words(b).Distinct(StringComparer.Ordinal).Count(left.Contains);
    }

    internal static List<string> Words(string text) =>
        [.. WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value)];

    private static Reply Text(string text) => new(text, null);

    [GeneratedRegex(@"[\p{L}\p{N}_.+#-]+")]
    private static partial Regex WordPattern();

    /// <summary>"…: python or javascript", "…: a|b|c", "one of a, b or c" in a parameter's description.</summary>
    [GeneratedRegex(@"(?::|\bone of:?)\s*(?<list>[a-z][a-z0-9_+#.-]*(?:\s*(?:\||,|\bor\b)\s*[a-z][a-z0-9_+#.-]*)+)\s*(?:[.;]|$)", RegexOptions.IgnoreCase)]
    private static partial Regex Alternatives();

    [GeneratedRegex(@"^\s*(how|what|why|when|where|which|who|does|do|is|are|can|find out|look up|search)\b", RegexOptions.IgnoreCase)]
    private static partial Regex QuestionStart();

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"[\w.-]*/[\w./-]+|[\w-]+\.(?:md|txt|json|csv|cs|py|js|html|xml|yaml|yml)\b")]
    private static partial Regex PathPattern();

    [GeneratedRegex(@"^(search|look|find|gather|collect|research|fetch|read)( for| up| out about| about)?\s+", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingVerb();

    private sealed record Reply(string? Text, FunctionCallContent? Call);
}
