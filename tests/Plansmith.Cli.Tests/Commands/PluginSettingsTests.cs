using Plansmith.Testing;

namespace Plansmith.Cli.Tests.Commands;

/// <summary>The plugin settings the README documents reach the plugins from settings files and the environment.</summary>
public sealed class PluginSettingsTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("plansmith-plugin-settings-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task FetchAllowPrivateAddresses_FromTheEnvironment_ReachesFetchUrl()
    {
        await using var server = new LoopbackOpenAIServer(new ScriptedModel(_ => new ModelReply("unused")));
        var url = new Uri(server.BaseAddress, "page").ToString();

        var (_, _, refused) = await CliProcess.RunAsync(_work, null, "invoke", "search.fetch_url", "--arg", "url=" + url);
        Assert.Contains("Plansmith:Fetch:AllowPrivateAddresses", refused, StringComparison.Ordinal);

        var allowed = new Dictionary<string, string> { ["Plansmith__Fetch__AllowPrivateAddresses"] = "true" };
        var (_, output, error) = await CliProcess.RunAsync(_work, null, allowed, null, "invoke", "search.fetch_url", "--arg", "url=" + url);
        Assert.DoesNotContain("internal address", output + error, StringComparison.Ordinal);
        Assert.Contains("404", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FilesMaxReadChars_FromTheSettingsFile_CapsReads()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "long.txt"), new string('x', 5_000));
        await File.WriteAllTextAsync(Path.Combine(_work, "appsettings.json"), "{\"Plansmith\": {\"Files\": {\"MaxReadChars\": 100}}}");
        var (exit, output, error) = await CliProcess.RunAsync(_work, null, "invoke", "files.read", "--arg", "path=long.txt", "--root", _work);
        Assert.True(exit == 0, error);
        Assert.Contains("cut at 100", output, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 101), output, StringComparison.Ordinal);
    }
}
