using System.Text;
using System.Text.Json;

namespace Plansmith.Agent.Planning;

/// <summary>
/// Finds the JSON in a model's reply, which may wrap it in a code fence, put prose before or after
/// it, leave a fence unclosed, or use comments and trailing commas.
/// </summary>
internal static class ModelReplyJson
{
    private const int MaxCandidates = 64;

    /// <summary>What a model's JSON may hold beyond standard JSON: trailing commas and comments.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>
    /// The first JSON value in model output that <paramref name="accept"/> takes, looking in code
    /// fences first and then after prose; failing that the first JSON value found; null when there is none.
    /// </summary>
    public static JsonDocument? Extract(string text, Func<JsonElement, bool> accept)
    {
        JsonDocument? fallbackDocument = null;
        foreach (var candidate in Candidates(text))
        {
            if (TryParseValue(candidate, out var document))
            {
                if (accept(document.RootElement))
                {
                    fallbackDocument?.Dispose();
                    return document;
                }

                // Keep the first JSON value seen so the error can say what shape it had.
                if (fallbackDocument is null)
                {
                    fallbackDocument = document;
                }
                else
                {
                    document.Dispose();
                }
            }
        }

        return fallbackDocument;
    }

    /// <summary>Where a JSON value might start: fenced blocks first, then each brace or bracket.</summary>
    private static IEnumerable<string> Candidates(string text)
    {
        var fence = 0;
        while ((fence = text.IndexOf("```", fence, StringComparison.Ordinal)) >= 0)
        {
            var lineEnd = text.IndexOf('\n', fence);
            if (lineEnd < 0)
            {
                break;
            }

            var close = text.IndexOf("```", lineEnd, StringComparison.Ordinal);
            // An unclosed fence (a truncated reply) still gets its content tried.
            var body = close < 0 ? text[(lineEnd + 1)..] : text[(lineEnd + 1)..close];
            yield return body;
            if (close < 0)
            {
                break;
            }

            fence = close + 3;
        }

        var tried = 0;
        for (var i = 0; i < text.Length && tried < MaxCandidates; i++)
        {
            if (text[i] is '{' or '[')
            {
                tried++;
                yield return text[i..];
            }
        }
    }

    private static bool TryParseValue(string candidate, out JsonDocument document)
    {
        var trimmed = candidate.TrimStart();
        document = null!;
        if (trimmed.Length == 0 || trimmed[0] is not ('{' or '['))
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(trimmed);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            AllowTrailingCommas = DocumentOptions.AllowTrailingCommas,
            CommentHandling = DocumentOptions.CommentHandling,
            MaxDepth = DocumentOptions.MaxDepth,
        });
        try
        {
            // Reads exactly one value, so prose after the JSON does not matter.
            document = JsonDocument.ParseValue(ref reader);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
