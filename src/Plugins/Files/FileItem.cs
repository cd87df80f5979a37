using System.Text.Json.Serialization;

namespace Plansmith.Plugins.Files;

/// <summary>One file in a listing.</summary>
/// <param name="Path">Path relative to the document folder, with '/' separators.</param>
/// <param name="Bytes">Size in bytes.</param>
public sealed record FileItem(string Path, long Bytes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(List<FileItem>))]
internal sealed partial class FilesJsonContext : JsonSerializerContext;
