using System.Text;
using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Runs;

/// <summary>Writes an agent run's result as JSON: status, answer, final plan, each step's record, usage and timings.</summary>
public static class AgentRunResultJson
{
    /// <summary>The result as an indented JSON document.</summary>
    public static string Serialize(AgentRunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("goal", result.Goal);
            writer.WriteString("status", result.Status.ToString().ToLowerInvariant());
            writer.WriteString("answer", result.Answer);
            if (result.Error is not null)
            {
                writer.WriteString("error", result.Error);
            }

            writer.WriteString("started_at", result.StartedAt);
            writer.WriteString("ended_at", result.EndedAt);
            writer.WriteNumber("duration_ms", Math.Round(result.Duration.TotalMilliseconds, 3));
            writer.WriteStartObject("usage");
            writer.WriteNumber("model_calls", result.Usage.ModelCalls);
            writer.WriteNumber("input_tokens", result.Usage.InputTokens);
            writer.WriteNumber("output_tokens", result.Usage.OutputTokens);
            writer.WriteNumber("total_tokens", result.Usage.TotalTokens);
            writer.WriteEndObject();
            writer.WriteNumber("replans", result.Replans);
            writer.WriteNumber("plan_versions", result.PlanVersions.Count);
            if (result.Plan is not null)
            {
                writer.WritePropertyName("plan");
                PlanJson.Write(writer, result.Plan);
            }

            PlanExecutionResultJson.WriteSteps(writer, result.Steps);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
