using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Plansmith.Agent.Plans;

/// <summary>
/// Replaces <c>${step}</c> references in step arguments with the outputs of earlier steps.
/// A reference that cannot be resolved is an error naming the path and the output's shape; it
/// never becomes an empty string.
/// </summary>
public static class ReferenceResolver
{
    private const int MaxShapeLength = 240;

    /// <summary>
    /// Resolves every reference in a JSON argument value. A string that is exactly one reference
    /// with a path takes the referenced JSON value as it is (a number stays a number); references
    /// inside longer text are spliced in as text.
    /// </summary>
    /// <param name="value">The argument value as planned.</param>
    /// <param name="outputs">Output text of completed steps, by step id.</param>
    /// <exception cref="ReferenceResolutionException">A reference is malformed, names a step with no output, or a path that is not there.</exception>
    public static JsonElement Resolve(JsonElement value, IReadOnlyDictionary<string, string> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var text = value.GetString()!;
                return text.Contains("${", StringComparison.Ordinal) ? ResolveString(text, outputs) : value;
            case JsonValueKind.Array or JsonValueKind.Object when value.GetRawText().Contains("${", StringComparison.Ordinal):
                using (var buffer = new MemoryStream())
                {
                    using (var writer = new Utf8JsonWriter(buffer))
                    {
                        WriteResolved(writer, value, outputs);
                    }

                    return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
                }

            default:
                return value;
        }
    }

    /// <summary>Resolves references in free text (a description or prompt), splicing outputs in as text.</summary>
    public static string ResolveText(string template, IReadOnlyDictionary<string, string> outputs)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(outputs);
        if (!template.Contains("${", StringComparison.Ordinal))
        {
            return template;
        }

        return Splice(ParseOrThrow(template), outputs);
    }

    /// <summary>
    /// The value a reference points at: the output text as a JSON string when there is no path,
    /// else the JSON value at the path.
    /// </summary>
    public static JsonElement Lookup(StepReference reference, IReadOnlyDictionary<string, string> outputs)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(outputs);
        if (!outputs.TryGetValue(reference.StepId, out var output))
        {
            throw new ReferenceResolutionException(
                reference,
                $"Reference {reference.Text} names step '{reference.StepId}', which has no output (it has not completed). Make '{reference.StepId}' a dependency of this step.");
        }

        if (reference.Path.Count == 0)
        {
            return JsonSerializer.SerializeToElement(output);
        }

        JsonElement current;
        try
        {
            using var document = JsonDocument.Parse(output);
            current = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new ReferenceResolutionException(
                reference,
                $"Reference {reference.Text} reads a path into step '{reference.StepId}', but its output is plain text, not JSON (it begins \"{Preview(output)}\"). Use ${{{reference.StepId}}} for the whole text.");
        }

        var root = current;
        var walked = new StringBuilder(reference.StepId);
        foreach (var segment in reference.Path)
        {
            if (!TryStep(current, segment, out var next))
            {
                var at = walked.ToString();
                throw new ReferenceResolutionException(
                    reference,
                    $"Reference {reference.Text} cannot be resolved: {at} has no {DescribeSegment(segment)}; {at} is {DescribeShape(current)}. Step '{reference.StepId}' output has shape {DescribeShape(root)}.");
            }

            walked.Append(segment.ToString());
            current = next;
        }

        return current;
    }

    /// <summary>A short description of a JSON value's shape, for error messages.</summary>
    public static string DescribeShape(JsonElement element)
    {
        var builder = new StringBuilder();
        AppendShape(builder, element, depth: 0);
        return builder.Length > MaxShapeLength ? builder.ToString(0, MaxShapeLength) + "…" : builder.ToString();
    }

    private static JsonElement ResolveString(string text, IReadOnlyDictionary<string, string> outputs)
    {
        var parts = ParseOrThrow(text);
        if (parts.Count == 1 && parts[0].Reference is { } only)
        {
            return Lookup(only, outputs);
        }

        return JsonSerializer.SerializeToElement(Splice(parts, outputs));
    }

    private static string Splice(IReadOnlyList<TemplatePart> parts, IReadOnlyDictionary<string, string> outputs)
    {
        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            if (part.Reference is null)
            {
                builder.Append(part.Literal);
            }
            else
            {
                AppendAsText(builder, Lookup(part.Reference, outputs));
            }
        }

        return builder.ToString();
    }

    private static IReadOnlyList<TemplatePart> ParseOrThrow(string text)
    {
        var parts = StepReferences.Parse(text, out var errors);
        if (errors.Count > 0)
        {
            throw new ReferenceResolutionException(null, string.Join(" ", errors));
        }

        return parts;
    }

    private static void WriteResolved(Utf8JsonWriter writer, JsonElement value, IReadOnlyDictionary<string, string> outputs)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    WriteResolved(writer, property.Value, outputs);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteResolved(writer, item, outputs);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                Resolve(value, outputs).WriteTo(writer);
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }

    private static void AppendAsText(StringBuilder builder, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            builder.Append(value.GetString());
        }
        else
        {
            builder.Append(value.GetRawText());
        }
    }

    private static bool TryStep(JsonElement current, ReferencePathSegment segment, out JsonElement next)
    {
        if (segment.IsIndex)
        {
            if (current.ValueKind == JsonValueKind.Array && segment.Index < current.GetArrayLength())
            {
                next = current[segment.Index];
                return true;
            }
        }
        else if (current.ValueKind == JsonValueKind.Object)
        {
            if (current.TryGetProperty(segment.Property!, out next))
            {
                return true;
            }

            // Models are loose about case; a unique case-insensitive match is unambiguous.
            JsonElement? match = null;
            foreach (var property in current.EnumerateObject())
            {
                if (string.Equals(property.Name, segment.Property, StringComparison.OrdinalIgnoreCase))
                {
                    if (match is not null)
                    {
                        match = null;
                        break;
                    }

                    match = property.Value;
                }
            }

            if (match is { } found)
            {
                next = found;
                return true;
            }
        }

        next = default;
        return false;
    }

    private static string DescribeSegment(ReferencePathSegment segment) => segment.IsIndex
        ? $"index [{segment.Index.ToString(CultureInfo.InvariantCulture)}]"
        : $"field '{segment.Property}'";

    private static void AppendShape(StringBuilder builder, JsonElement element, int depth)
    {
        if (builder.Length > MaxShapeLength)
        {
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth >= 3)
                {
                    builder.Append("object");
                    return;
                }

                builder.Append('{');
                var first = true;
                foreach (var property in element.EnumerateObject())
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }

                    first = false;
                    builder.Append(property.Name).Append(": ");
                    AppendShape(builder, property.Value, depth + 1);
                }

                builder.Append('}');
                break;
            case JsonValueKind.Array:
                var length = element.GetArrayLength();
                builder.Append("array[").Append(length.ToString(CultureInfo.InvariantCulture)).Append(']');
                if (length > 0 && depth < 3)
                {
                    builder.Append(" of ");
                    AppendShape(builder, element[0], depth + 1);
                }

                break;
            case JsonValueKind.String:
                builder.Append("string");
                break;
            case JsonValueKind.Number:
                builder.Append("number");
                break;
            case JsonValueKind.True or JsonValueKind.False:
                builder.Append("boolean");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    private static string Preview(string text)
    {
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length > 40 ? oneLine[..40] + "…" : oneLine;
    }
}
