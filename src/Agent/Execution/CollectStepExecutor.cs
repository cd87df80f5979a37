using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Plansmith.Agent.Plans;

namespace Plansmith.Agent.Execution;

/// <summary>
/// Runs <see cref="StepKind.Collect"/> steps — what a map step becomes under its own id — with no
/// tool and no model: the output is one JSON array holding each dependency's output in the order
/// the dependencies are listed. An output that is a JSON object or array is put in as JSON, so
/// <c>${map[0].items[0].title}</c> reaches into it; any other output is put in as a string.
/// </summary>
/// <remarks>
/// The agent asks this executor before any other, with or without the built-in executors: a collect
/// step is part of the plan's shape, not a way of doing work a host might want to change.
/// </remarks>
public sealed class CollectStepExecutor : IStepExecutor
{
    // The array goes to prompts and tools, not into HTML: keep text readable ("é", not "\u00E9").
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public bool CanExecute(PlanStep planStep)
    {
        ArgumentNullException.ThrowIfNull(planStep);
        return planStep.Kind == StepKind.Collect;
    }

    /// <inheritdoc />
    public Task<StepOutput> ExecuteAsync(StepContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = context.Step;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var dependency in step.Dependencies)
            {
                if (!context.Outputs.TryGetValue(dependency, out var output))
                {
                    throw new StepExecutionException(
                        step.Id,
                        $"Step '{step.Id}' collects the output of '{dependency}', which has none (it has not completed). Make '{dependency}' a dependency that completes before '{step.Id}'.",
                        isTransient: false);
                }

                WriteItem(writer, output);
            }

            writer.WriteEndArray();
        }

        return Task.FromResult(new StepOutput(Encoding.UTF8.GetString(buffer.ToArray())));
    }

    private static void WriteItem(Utf8JsonWriter writer, string output)
    {
        var trimmed = output.AsSpan().TrimStart();
        if (trimmed.Length > 0 && trimmed[0] is '{' or '[')
        {
            try
            {
                using var document = JsonDocument.Parse(output);
                document.RootElement.WriteTo(writer);
                return;
            }
            catch (JsonException)
            {
                // Text that merely starts like JSON is text.
            }
        }

        writer.WriteStringValue(output);
    }
}
