using System.ComponentModel;
using Microsoft.SemanticKernel;

namespace Plansmith.Agent.Tests.TestSupport;

/// <summary>A small plugin with typed parameters, for tool steps.</summary>
public sealed class MathPlugin
{
    [KernelFunction("add"), Description("Adds two integers.")]
    public static int Add([Description("First addend")] int a, [Description("Second addend")] int b) => a + b;

    [KernelFunction("sum"), Description("Sums a list of numbers.")]
    public static double Sum([Description("The numbers")] double[] values) => values.Sum();

    [KernelFunction("scale"), Description("Multiplies a number by a factor.")]
    public static double Scale([Description("The number")] double value, [Description("The factor")] double factor = 2) => value * factor;
}

public sealed record SearchHit(string Title, string Url, double Score);

public sealed record SearchResult(IReadOnlyList<SearchHit> Items, int Total);

public sealed class TextPlugin
{
    [KernelFunction("echo"), Description("Returns its input.")]
    public static string Echo([Description("Text to return")] string text) => text;

    [KernelFunction("upper"), Description("Upper-cases text.")]
    public static string Upper([Description("Text")] string text) => text.ToUpperInvariant();

    [KernelFunction("search"), Description("Pretends to search.")]
    public static SearchResult Search([Description("Query")] string query, [Description("How many")] int top = 2) =>
        new([.. Enumerable.Range(1, top).Select(i => new SearchHit($"{query} {i}", $"https://example.org/{i}", 1.0 / i))], top);

    [KernelFunction("fail"), Description("Always throws.")]
    public static string Fail([Description("Message")] string message) => throw new InvalidOperationException(message);

    [KernelFunction("mode"), Description("Echoes an enum.")]
    public static string Mode([Description("Mode")] StringComparison comparison) => comparison.ToString();
}

public static class TestKernels
{
    public static Kernel WithTestPlugins()
    {
        var kernel = new Kernel();
        kernel.Plugins.AddFromType<MathPlugin>("math");
        kernel.Plugins.AddFromType<TextPlugin>("text");
        return kernel;
    }
}
