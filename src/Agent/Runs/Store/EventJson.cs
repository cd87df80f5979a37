using System.Text.Json;
using System.Text.Json.Serialization;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs.Store;

/// <summary>Events as stored JSON: plans in the contract's form, run results reduced to their status.</summary>
public static class EventJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(), new PlanConverter() },
        ReferenceHandler = ReferenceHandler.IgnoreCycles,
    };

    /// <summary>The event types stored whole, so that <see cref="TryDeserialize"/> reads them back.</summary>
    private static readonly Dictionary<string, Type> Whole = new Type[]
    {
        typeof(RunStarted), typeof(RouteDecided), typeof(PlanCreated), typeof(PlanRejected), typeof(PlanReflected), typeof(PlanApprovalRequested),
        typeof(PlanApproved), typeof(RunResumed), typeof(Replanned), typeof(SubplanCreated), typeof(BudgetExhausted), typeof(AnswerDelta),
        typeof(AnswerCompleted), typeof(StepStarted), typeof(StepRetrying), typeof(StepFallbackStarted), typeof(StepCompleted), typeof(StepFailed),
        typeof(StepSkipped), typeof(StepDiscarded),
    }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The event as JSON.</summary>
    public static string Serialize(ExecutionEvent executionEvent)
    {
        ArgumentNullException.ThrowIfNull(executionEvent);
        object shape = executionEvent switch
        {
            RunCompleted r => new { r.Timestamp, status = r.Result.Status, error = r.Result.Error, usage = r.Result.Usage },
            PlanCompleted p => new { p.Timestamp, p.Progress, status = p.Result.Status, error = p.Result.Error },
            SubplanEvent s => new { s.Timestamp, parentStepId = s.ParentStepId, s.Depth, inner = s.Inner.GetType().Name, innerJson = JsonDocument.Parse(Serialize(s.Inner)).RootElement },
            _ => executionEvent,
        };
        return JsonSerializer.Serialize(shape, shape.GetType(), Options);
    }

    /// <summary>
    /// Reads back an event stored by <see cref="Serialize"/>, or null when it cannot be: the JSON is
    /// damaged or incomplete, the type is unknown, or the event is stored reduced
    /// (<see cref="RunCompleted"/> and <see cref="PlanCompleted"/> keep only their status).
    /// </summary>
    /// <param name="type">The event type's name, as stored beside the JSON.</param>
    /// <param name="json">The stored JSON.</param>
    public static ExecutionEvent? TryDeserialize(string type, string json)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            if (type == nameof(SubplanEvent))
            {
                var relayed = JsonSerializer.Deserialize<RelayedShape>(json, Options);
                return relayed is { Inner: { } innerType, InnerJson: { ValueKind: JsonValueKind.Object } innerJson, ParentStepId: { } parent }
                       && TryDeserialize(innerType, innerJson.GetRawText()) is { } inner
                    ? new SubplanEvent { Timestamp = relayed.Timestamp, ParentStepId = parent, Depth = relayed.Depth, Inner = inner }
                    : null;
            }

            return Whole.TryGetValue(type, out var whole) ? JsonSerializer.Deserialize(json, whole, Options) as ExecutionEvent : null;
        }
        catch (Exception ex) when (ex is JsonException or PlanParseException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Reads a plan stored in the contract's form.</summary>
    public static Plan ReadPlan(string json) => PlanJson.Deserialize(json);

    private sealed record RelayedShape(DateTimeOffset Timestamp, string? ParentStepId, int Depth, string? Inner, JsonElement InnerJson);

    private sealed class PlanConverter : JsonConverter<Plan>
    {
        public override Plan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return PlanJson.Deserialize(document.RootElement.GetRawText());
        }

        public override void Write(Utf8JsonWriter writer, Plan value, JsonSerializerOptions options) => PlanJson.Write(writer, value);
    }
}
