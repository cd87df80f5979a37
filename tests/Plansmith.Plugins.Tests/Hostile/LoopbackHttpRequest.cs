namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>A request as <see cref="LoopbackHttpServer"/> read it: the target (path and query) and the headers, names case-insensitive.</summary>
public sealed record LoopbackHttpRequest(string Target, IReadOnlyDictionary<string, string> Headers);
