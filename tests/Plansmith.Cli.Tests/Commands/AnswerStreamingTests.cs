using Plansmith.Cli.Rendering;
using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>The answer reaches standard output as the model writes it, whole and once.</summary>
public sealed class AnswerStreamingTests : IDisposable
{
    private static readonly string[] Pieces = ["Apples are crisp ", "and sweet;\npears are ", "soft and juicy."];
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-stream-").FullName;

    public AnswerStreamingTests()
    {
        File.WriteAllText(Path.Combine(_work, "apples.md"), "Apples are crisp.");
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData("--no-store")]
    [InlineData("--no-store", "--quiet")]
    public async Task Run_StreamedAnswer_ReachesStandardOutputPieceByPieceAndOnce(params string[] flags)
    {
        // The model holds its last piece back until the test has seen the first on standard output.
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "List the notes", tool = "files.list", arguments = new { pattern = "*.md" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply(string.Concat(Pieces)) { Chunks = Pieces, BeforeChunk = i => i == Pieces.Length - 1 ? firstSeen.Task.WaitAsync(TimeSpan.FromSeconds(60)) : Task.CompletedTask },
        });
        await using var server = new LoopbackOpenAIServer(model);
        await using var cli = RunningCli.Start(_work, ["run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--root", _work, .. flags, "Compare apples and pears"]);

        var early = await cli.WaitForOutputAsync(Pieces[0]);
        Assert.False(cli.HasExited);
        Assert.DoesNotContain(Pieces[2], early, StringComparison.Ordinal);
        firstSeen.SetResult();
        var (exit, output, error) = await cli.ExitAsync();

        Assert.True(exit == 0, error);
        var answer = string.Concat(Pieces);
        Assert.Equal(1, Occurrences(output, answer));
        Assert.EndsWith(answer + "\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("note:", error, StringComparison.Ordinal);
        if (flags.Contains("--quiet"))
        {
            Assert.Equal(answer + "\n", output);
        }
        else
        {
            // The progress came first, on standard output too; the answer follows it in one piece.
            Assert.Contains("✓ s1", output, StringComparison.Ordinal);
            Assert.Contains("Completed in ", error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Run_Json_PrintsOnlyTheJsonWithTheWholeAnswer()
    {
        var model = new ScriptedModel(r => r.Prompt switch
        {
            "route" => ModelReply.Json(new { plan = true, answer = "" }),
            "plan_create" => ModelReply.Json(new { steps = new object[] { new { id = "s1", description = "List the notes", tool = "files.list", arguments = new { pattern = "*.md" } } } }),
            "plan_reflect" => ModelReply.Json(new { approved = true, issues = Array.Empty<string>() }),
            _ => new ModelReply(string.Concat(Pieces)) { Chunks = Pieces },
        });
        await using var server = new LoopbackOpenAIServer(model);

        var (exit, output, _) = await CliProcess.RunAsync(_work, null, "run", "--endpoint", server.BaseAddress.ToString(), "--model", "m", "--root", _work, "--no-store", "--json", "Compare apples and pears");

        Assert.Equal(0, exit);
        using var json = System.Text.Json.JsonDocument.Parse(output);
        Assert.Equal(string.Concat(Pieces), json.RootElement.GetProperty("answer").GetString());
    }

    [Fact]
    public async Task FinishAsync_StreamedTextIsTheAnswer_EndsTheLineAndPrintsNothingMore()
    {
        var (output, notes) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var stream = new AnswerStream(output, notes, blankLineFirst: true);

        await stream.WriteAsync("Hello ");
        await stream.WriteAsync("world");
        await stream.FinishAsync("Hello world");

        Assert.Equal("\nHello world\n", output.ToString());
        Assert.Equal(string.Empty, notes.ToString());
    }

    [Fact]
    public async Task FinishAsync_StreamCutOffAndAskedAgain_NotesItAndPrintsTheFinalAnswer()
    {
        var (output, notes) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var stream = new AnswerStream(output, notes, blankLineFirst: false);

        await stream.WriteAsync("Apples are cri");
        await stream.FinishAsync("Apples are crisp; pears are soft.");

        Assert.Equal("Apples are cri\n\nApples are crisp; pears are soft.\n", output.ToString());
        Assert.Contains("cut off and asked for again", notes.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FinishAsync_NothingStreamed_PrintsTheAnswerWhole()
    {
        var output = new StringWriter { NewLine = "\n" };
        var stream = new AnswerStream(output, TextWriter.Null, blankLineFirst: false);

        await stream.FinishAsync("Hi there.");

        Assert.Equal("Hi there.\n", output.ToString());
    }

    [Fact]
    public async Task FinishAsync_StreamCutOffAndNoAnswer_SaysTheAnswerAboveIsIncomplete()
    {
        var (output, notes) = (new StringWriter { NewLine = "\n" }, new StringWriter { NewLine = "\n" });
        var stream = new AnswerStream(output, notes, blankLineFirst: false);

        await stream.WriteAsync("Apples are");
        await stream.FinishAsync(string.Empty);

        Assert.Equal("Apples are\n", output.ToString());
        Assert.Contains("cut off", notes.ToString(), StringComparison.Ordinal);
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
