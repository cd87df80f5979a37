using System.Text;
using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>Writes a run's result as JSON: the plan in the contract's form and every step's record.</summary>
public static class PlanExecutionResultJson
{
    /// <summary>The result as an indented JSON document.</summary>
    public static string Serialize(PlanExecutionResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("status", result.Status.ToString().ToLowerInvariant());
            writer.WriteString("started_at", result.StartedAt);
            writer.WriteString("ended_at", result.EndedAt);
            writer.WriteNumber("duration_ms", Math.Round(result.Duration.TotalMilliseconds, 3));
            if (result.Error is not null)
            {
                writer.WriteString("error", result.Error);
            }

            writer.WritePropertyName("plan");
            PlanJson.Write(writer, result.Plan);
            WriteSteps(writer, result.Steps);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes step records as a <c>steps</c> array.</summary>
    internal static void WriteSteps(Utf8JsonWriter writer, IReadOnlyList<StepRecord> steps)
    {
        writer.WriteStartArray("steps");
        foreach (var step in steps)
        {
            writer.WriteStartObject();
            writer.WriteString("id", step.StepId);
            writer.WriteString("status", step.Status.ToString().ToLowerInvariant());
            writer.WriteNumber("attempts", step.Attempts);
            if (step.StartedAt is { } started)
            {
                writer.WriteString("started_at", started);
            }

            if (step.EndedAt is { } ended)
            {
                writer.WriteString("ended_at", ended);
            }

            if (step.Duration is { } duration)
            {
                writer.WriteNumber("duration_ms", Math.Round(duration.TotalMilliseconds, 3));
            }

            if (step.UsedFallback)
            {
                writer.WriteBoolean("used_fallback", true);
            }

            if (step.Restored)
            {
                writer.WriteBoolean("restored", true);
            }

            if (step.Output is not null)
            {
                writer.WriteString("output", step.Output);
            }

            if (step.Error is not null)
            {
                writer.WriteString("error", step.Error);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
