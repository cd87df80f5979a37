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

    /// <summary>Reads a plan stored in the contract's form.</summary>
    public static Plan ReadPlan(string json) => PlanJson.Deserialize(json);

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
