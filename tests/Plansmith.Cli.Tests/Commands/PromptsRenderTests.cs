using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary><c>prompts render</c>: the chat messages a prompt sends, as the model sees them.</summary>
public sealed class PromptsRenderTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-render-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Render_RouteWithInputs_PrintsSystemAndUserMessagesWithInputsSubstituted()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "prompts", "render", "route", "--input", "request=Compare <A> & \"B\"", "--input", "tools=search.search(query): finds documents");

        Assert.True(exit == 0, error);
        var system = output.IndexOf("--- system ---", StringComparison.Ordinal);
        var user = output.IndexOf("--- user ---", StringComparison.Ordinal);
        Assert.True(system >= 0 && user > system, output);
        Assert.Contains("search.search(query): finds documents", output[system..user], StringComparison.Ordinal);

        // The value arrives as the model gets it: decoded, not left as &lt; or &amp;.
        Assert.Contains("Compare <A> & \"B\"", output[user..], StringComparison.Ordinal);
        Assert.DoesNotContain("{{$request}}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_MissingRequiredInput_Exits2NamingIt()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "prompts", "render", "route", "--input", "tools=none");

        Assert.Equal(2, exit);
        Assert.Contains("required input(s) request.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--- system ---", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_OptionalInputNotGiven_UsesItsDefault()
    {
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "prompts", "render", "plan_create",
            "--input", "goal=Compare retries and fallbacks", "--input", "tools=none", "--input", "agents=none", "--input", "max_steps=7");

        Assert.True(exit == 0, error);
        Assert.Contains("never more than 7", output, StringComparison.Ordinal);
        Assert.Contains("Goal: Compare retries and fallbacks", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_PromptFolder_RendersTheFoldersWording()
    {
        var route = Path.Combine(_work, "prompts", "route");
        Directory.CreateDirectory(route);
        File.Copy(Path.Combine(RepositoryFolder.Root, "prompts", "route", "config.json"), Path.Combine(route, "config.json"));
        File.WriteAllText(Path.Combine(route, "skprompt.txt"), "<message role=\"system\">Route with care. Tools: {{$tools}}</message><message role=\"user\">{{$request}}</message>");

        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "prompts", "render", "route", "--prompts", Path.Combine(_work, "prompts"), "--input", "request=hi", "--input", "tools=none");

        Assert.True(exit == 0, error);
        Assert.Equal($"--- system ---\nRoute with care. Tools: none\n--- user ---\nhi\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Render_UnknownInput_Exits2ListingTheInputs()
    {
        var (exit, _, error) = await CliProcess.RunAsync(_work, null, "prompts", "render", "route", "--input", "request=hi", "--input", "tools=none", "--input", "gaol=x");

        Assert.Equal(2, exit);
        Assert.Contains("route has no input 'gaol'. Its inputs: request, tools.", error, StringComparison.Ordinal);
    }
}
