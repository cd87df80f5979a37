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
        SynthesizeInputs synthesize => Text(OfflineWriter.Answer(synthesize.Goal, synthesize.Results)),
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
        var results = messages.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).ToList();
        if (results.Count > 0)
        {
            var findings = string.Join("\n", results.Select(r => OfflineWriter.Digest(r.Result?.ToString() ?? string.Empty)));
            return Text($"{step}:\n{findings}");
        }

        var tools = options?.Tools?.OfType<AIFunctionDeclaration>().ToList() ?? [];
        var best = tools
            .Select(t => (Tool: t, Score: Overlap(step, t.Name.Replace('_', ' ').Replace('-', ' ') + " " + t.Description)))
            .Where(t => t.Score > 0)
            .OrderByDescending(t => t.Score)
            .ThenBy(t => t.Tool.Name, StringComparer.Ordinal)
            .Select(t => t.Tool)
            .FirstOrDefault();
        var context = inputs.Context;
        if (best is not null && Arguments(best, step, context) is { } arguments)
        {
            return new Reply(null, new FunctionCallContent("offline_call_1", best.Name, arguments));
        }

        return Text(context.Trim() is "" or "none"
            ? $"{step}: the offline model has no results to work from for this step."
            : $"{step}:\n{OfflineWriter.Digest(context)}");
    }

    private static Reply Verify(StepVerifyInputs inputs)
    {
        var claim = inputs.Claim;
        var context = inputs.Context.Trim();
        var passed = context.Length > 0 && context != "none";
        return Text(JsonSerializer.Serialize(new
        {
            passed,
            reason = passed
                ? $"The earlier steps produced results for this check (the offline model checks that results exist, not that they are right): {claim}"
                : "There are no results to check the claim against.",
        }));
    }

    /// <summary>
    /// Arguments for a tool: parameters that take material (data, text, findings, items) get the
    /// results the step depends on; other text parameters get the step's words; null when a
    /// required parameter cannot be filled.
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
        foreach (var name in required)
        {
            var type = properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var p) && p.TryGetProperty("type", out var t) ? t.ToString() : "string";
            if (!type.Contains("string", StringComparison.Ordinal))
            {
                return null;
            }

            arguments[name] = name.ToLowerInvariant() is "data" or "text" or "findings" or "items" or "content" or "input"
                ? (context.Trim() is "" or "none" ? query : context)
                : query;
        }

        return arguments;
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

    [GeneratedRegex(@"^(search|look|find|gather|collect|research|fetch|read)( for| up| out about| about)?\s+", RegexOptions.IgnoreCase)]
    private static partial Regex LeadingVerb();

    private sealed record Reply(string? Text, FunctionCallContent? Call);
}
