namespace Plansmith.Cli.Commands;

/// <summary>Command descriptions with examples, shown by <c>--help</c>.</summary>
internal static class Help
{
    public static string WithExamples(string description, params string[] examples) =>
        description + Environment.NewLine + Environment.NewLine + "Examples:" + Environment.NewLine
        + string.Join(Environment.NewLine, examples.Select(e => "  " + e));
}
