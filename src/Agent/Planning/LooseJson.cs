using System.Text;
using System.Text.Json;

namespace Plansmith.Agent.Planning;

/// <summary>
/// How the lenient plan reader looks up keys and values: a key matches whatever its spelling
/// (<c>depends_on</c>, <c>dependsOn</c>, <c>Depends-On</c>), and a scalar is read as text
/// whatever its JSON type.
/// </summary>
internal static class LooseJson
{
    /// <summary>The first property whose name matches one of <paramref name="keys"/>, trying the keys in order.</summary>
    public static bool TryGet(JsonElement element, string[] keys, out JsonElement value)
    {
        foreach (var key in keys)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (MatchesKey(property.Name, key))
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    /// <summary>
    /// Whether a property name is <paramref name="key"/> (lower case, no separators) once '_', '-'
    /// and spaces are dropped and case is ignored; compares in place, without allocating.
    /// </summary>
    private static bool MatchesKey(string name, string key)
    {
        var k = 0;
        foreach (var c in name)
        {
            if (c is '_' or '-' or ' ')
            {
                continue;
            }

            if (k >= key.Length || char.ToLowerInvariant(c) != key[k])
            {
                return false;
            }

            k++;
        }

        return k == key.Length;
    }

    /// <summary>"depends_on", "dependsOn", "Depends-On" all become "dependson".</summary>
    public static string NormalizeKey(string key)
    {
        var builder = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            if (c is not ('_' or '-' or ' '))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    /// <summary>A string (trimmed), number or boolean as text; null for objects, arrays and null.</summary>
    public static string? ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Trim(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>Null for null, empty or white-space text; the text otherwise.</summary>
    public static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
