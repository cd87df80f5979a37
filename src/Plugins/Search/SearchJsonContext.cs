using System.Text.Json.Serialization;

namespace Plansmith.Plugins.Search;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Dictionary<string, FileStamp>))]
[JsonSerializable(typeof(List<SearchHit>))]
internal sealed partial class SearchJsonContext : JsonSerializerContext;
