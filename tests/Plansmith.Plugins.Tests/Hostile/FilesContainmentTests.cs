using System.Diagnostics;
using System.Text.Json;
using Plansmith.Plugins.Files;

namespace Plansmith.Plugins.Tests.Hostile;

/// <summary>
/// Hostile inputs against the files plugin: links and paths that try to leave the root, special
/// files that would hang a read, patterns that would walk the host, and error messages that could
/// tell what exists outside. Each case asserts the refusal and that nothing from outside came back.
/// </summary>
public sealed class FilesContainmentTests : IDisposable
{
    private const string Secret = "SECRET-OUTSIDE-THE-ROOT";
    private readonly string _base = Directory.CreateTempSubdirectory("plansmith-hostile-").FullName;
    private readonly string _root;
    private readonly string _outside;

    public FilesContainmentTests()
    {
        _root = Directory.CreateDirectory(Path.Combine(_base, "root")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_base, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(_root, "docs", "sub"));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        File.WriteAllText(Path.Combine(_root, "docs", "a.md"), "# A\nalpha");
        File.WriteAllText(Path.Combine(_root, "docs", "sub", "c.txt"), "gamma");
        File.WriteAllText(Path.Combine(_root, ".git", "config"), Secret);
        File.WriteAllText(Path.Combine(_outside, "secret.txt"), Secret);
        File.WriteAllText(Path.Combine(_outside, "a.md"), Secret);
    }

    public void Dispose() => Directory.Delete(_base, recursive: true);

    [Theory]
    [InlineData("etc", "/etc", "etc/passwd")]
    [InlineData("self", "/proc/self", "self/environ")]
    [InlineData("fd", "/proc/self/fd", "fd/0")]
    [InlineData("up", "../outside", "up/secret.txt")]
    [InlineData("docs/deep", "../../outside", "docs/deep/secret.txt")]
    [InlineData("docs/sneaky", "sub/../../../outside", "docs/sneaky/secret.txt")]
    [InlineData("hostroot", "/", "hostroot/etc/hostname")]
    public async Task Read_ThroughDirectoryLinkLeadingOut_IsRefused(string link, string target, string path)
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, link), target);

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync(path));

        Assert.Equal($"'{path}' leads outside the document folder; give a path inside it.", ex.Message);
    }

    [Fact]
    public async Task Read_ChainOfLinksEndingOutside_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "a"), "b");
        Directory.CreateSymbolicLink(Path.Combine(_root, "b"), "docs/c");
        Directory.CreateSymbolicLink(Path.Combine(_root, "docs", "c"), Path.Combine(_root, "d"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "d"), _outside);

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync("a/secret.txt"));

        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
        Assert.Contains("leads outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_LinksStayingInside_AreFollowed()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "relative.md"), "docs/a.md");
        File.CreateSymbolicLink(Path.Combine(_root, "absolute.md"), Path.Combine(_root, "docs", "a.md"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "docs", "sub", "back"), "..");
        Directory.CreateSymbolicLink(Path.Combine(_root, "chain"), "docs/sub/back");
        var plugin = new FilesPlugin(_root);

        Assert.Equal("# A\nalpha", await plugin.ReadAsync("relative.md"));
        Assert.Equal("# A\nalpha", await plugin.ReadAsync("absolute.md"));
        Assert.Equal("# A\nalpha", await plugin.ReadAsync("chain/a.md"));
        Assert.Equal("gamma", await plugin.ReadAsync("chain/sub/back/sub/c.txt"));
    }

    [Fact]
    public async Task Read_LinkLoops_FailQuicklyNamingTheLoop()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "x"), "y");
        File.CreateSymbolicLink(Path.Combine(_root, "y"), "x");
        File.CreateSymbolicLink(Path.Combine(_root, "self"), "self");
        Directory.CreateSymbolicLink(Path.Combine(_root, "docs", "dot"), ".");
        var plugin = new FilesPlugin(_root);

        var pair = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("x"));
        var single = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("self/a.md"));

        Assert.Contains("a loop of links", pair.Message, StringComparison.Ordinal);
        Assert.Contains("a loop of links", single.Message, StringComparison.Ordinal);
        // A link to its own folder is no loop for a finite path: it resolves.
        Assert.Equal("# A\nalpha", await plugin.ReadAsync("docs/dot/dot/dot/a.md"));
    }

    [Fact]
    public async Task Errors_OutsidePathThatExistsAndOneThatDoesNot_AreIdentical()
    {
        // Two roots that differ only in whether the outside target exists.
        var other = Directory.CreateDirectory(Path.Combine(_base, "root2")).FullName;
        Directory.CreateDirectory(Path.Combine(other, "docs"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "out"), "../outside");
        Directory.CreateSymbolicLink(Path.Combine(other, "out"), "../no-such-folder");
        File.CreateSymbolicLink(Path.Combine(_root, "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(other, "passwd"), "/etc/no-such-file");
        string[] paths = ["out/secret.txt", "passwd", "../outside/secret.txt", "../root2/out", "docs/../../outside/a.md"];

        foreach (var path in paths)
        {
            var existing = await Assert.ThrowsAnyAsync<Exception>(() => new FilesPlugin(_root).ReadAsync(path));
            var missing = await Assert.ThrowsAnyAsync<Exception>(() => new FilesPlugin(other).ReadAsync(path));

            Assert.Equal(existing.GetType(), missing.GetType());
            Assert.Equal(existing.Message, missing.Message);
            Assert.IsType<UnauthorizedAccessException>(existing);
        }

        var listExisting = Assert.ThrowsAny<Exception>(() => new FilesPlugin(_root).List("*", "out"));
        var listMissing = Assert.ThrowsAny<Exception>(() => new FilesPlugin(other).List("*", "out"));
        Assert.Equal(listExisting.Message, listMissing.Message);
    }

    [Fact]
    public async Task Read_Fifo_IsRefusedWithoutBlocking()
    {
        var fifo = Path.Combine(_root, "docs", "pipe");
        Run("mkfifo", fifo);
        File.CreateSymbolicLink(Path.Combine(_root, "pipe-link"), "docs/pipe");
        var plugin = new FilesPlugin(_root);

        // A read that opened the pipe would wait for a writer forever; the bound only turns such a hang into a failure.
        var direct = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("docs/pipe").WaitAsync(TimeSpan.FromSeconds(20)));
        var linked = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("pipe-link").WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Contains("not a regular file", direct.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", linked.Message, StringComparison.Ordinal);
        Assert.Equal(["docs/a.md", "docs/sub/c.txt"], Paths(plugin.List("**")));
    }

    [Fact]
    public async Task Read_DeviceNodeInsideTheRoot_IsRefused()
    {
        Run("mknod", Path.Combine(_root, "docs", "zero"), "c", "1", "5");
        var plugin = new FilesPlugin(_root);

        var ex = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("docs/zero").WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Contains("not a regular file", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["docs/a.md", "docs/sub/c.txt"], Paths(plugin.List("**")));
    }

    [Fact]
    public async Task Read_Folder_IsRefusedAndPointsToList()
    {
        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync("docs"));

        Assert.Contains("files.list", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(".git/config")]
    [InlineData("docs/../.git/config")]
    [InlineData("visible.txt")]
    [InlineData("gitdir/config")]
    public async Task Read_HiddenEntryDirectlyOrThroughALink_IsRefused(string path)
    {
        File.CreateSymbolicLink(Path.Combine(_root, "visible.txt"), ".git/config");
        Directory.CreateSymbolicLink(Path.Combine(_root, "gitdir"), ".git");

        var ex = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new FilesPlugin(_root).ReadAsync(path));

        Assert.Contains("hidden", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_MalformedPaths_FailCleanly()
    {
        var plugin = new FilesPlugin(_root);

        var nul = await Assert.ThrowsAsync<ArgumentException>(() => plugin.ReadAsync("docs/a.md\0.txt"));
        var huge = await Assert.ThrowsAsync<ArgumentException>(() => plugin.ReadAsync(string.Concat(Enumerable.Repeat("docs/", 2000)) + "a.md"));
        var longName = await Assert.ThrowsAsync<FileNotFoundException>(() => plugin.ReadAsync("docs/" + new string('n', 300)));
        var deep = await Assert.ThrowsAsync<FileNotFoundException>(() => plugin.ReadAsync(string.Concat(Enumerable.Repeat("d/", 1500))));
        var throughFile = await Assert.ThrowsAsync<FileNotFoundException>(() => plugin.ReadAsync("docs/a.md/../a.md"));

        Assert.Contains("NUL", nul.Message, StringComparison.Ordinal);
        Assert.Contains("limited to 4096", huge.Message, StringComparison.Ordinal);
        Assert.True(longName.Message.Length < 400, longName.Message);
        Assert.DoesNotContain(_root, deep.Message, StringComparison.Ordinal);
        Assert.Contains("files.list", throughFile.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_LinkRetargetedOutside_IsRefusedOnTheNextRead()
    {
        var link = Path.Combine(_root, "moving.md");
        File.CreateSymbolicLink(link, "docs/a.md");
        var plugin = new FilesPlugin(_root);
        Assert.Equal("# A\nalpha", await plugin.ReadAsync("moving.md"));

        File.Delete(link);
        File.CreateSymbolicLink(link, Path.Combine(_outside, "secret.txt"));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => plugin.ReadAsync("moving.md"));
    }

    [Fact]
    public async Task Read_FolderSwappedForAnOutsideLinkAfterResolving_IsRefusedByTheOpenedFilesRealPath()
    {
        var docs = Path.Combine(_root, "docs");
        var plugin = new FilesPlugin(_root)
        {
            BeforeOpen = _ =>
            {
                Directory.Move(docs, docs + "-old");
                Directory.CreateSymbolicLink(docs, _outside);
            },
        };

        var ex = await Assert.ThrowsAsync<IOException>(() => plugin.ReadAsync("docs/a.md"));

        Assert.Contains("changed while it was being opened", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_GivenThroughALink_IsResolvedOnce()
    {
        var rootLink = Path.Combine(_base, "root-link");
        Directory.CreateSymbolicLink(rootLink, _root);
        // An absolute link inside the root that spells the root the way it was given.
        File.CreateSymbolicLink(Path.Combine(_root, "via-alias.md"), Path.Combine(rootLink, "docs", "a.md"));
        var plugin = new FilesPlugin(rootLink);
        Assert.Equal("# A\nalpha", await plugin.ReadAsync("via-alias.md"));

        Directory.Delete(rootLink);
        Directory.CreateSymbolicLink(rootLink, _outside);

        Assert.Equal("# A\nalpha", await plugin.ReadAsync("docs/a.md"));
        await Assert.ThrowsAsync<FileNotFoundException>(() => plugin.ReadAsync("secret.txt"));
        Assert.DoesNotContain("secret.txt", Paths(plugin.List("**")), StringComparer.Ordinal);
    }

    [Fact]
    public void List_LinksLeadingOut_AreNeitherFollowedNorListed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "etc"), "/etc");
        Directory.CreateSymbolicLink(Path.Combine(_root, "hostroot"), "/");
        Directory.CreateSymbolicLink(Path.Combine(_root, "up"), "..");
        File.CreateSymbolicLink(Path.Combine(_root, "docs", "secret.txt"), "../../outside/secret.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "docs", "b.md"), "a.md");
        var plugin = new FilesPlugin(_root);

        var all = Paths(plugin.List("**"));
        var names = Paths(plugin.List("*"));

        Assert.Equal(["docs/a.md", "docs/b.md", "docs/sub/c.txt"], all);
        Assert.Equal(all, names);
        Assert.Throws<UnauthorizedAccessException>(() => plugin.List("*", "etc"));
        Assert.Throws<UnauthorizedAccessException>(() => plugin.List("*", "up"));
    }

    [Theory]
    [InlineData("../*")]
    [InlineData("../../**")]
    [InlineData("**/../../*")]
    [InlineData("docs/../../outside/*")]
    [InlineData("/etc/*")]
    [InlineData("/**")]
    [InlineData("..")]
    public void List_PatternLeavingTheRoot_IsRefused(string pattern)
    {
        var ex = Assert.Throws<UnauthorizedAccessException>(() => new FilesPlugin(_root).List(pattern));

        Assert.DoesNotContain(Secret, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*\0.md")]
    [InlineData("docs/\0")]
    public void List_PatternWithNul_IsRefused(string pattern)
    {
        var ex = Assert.Throws<ArgumentException>(() => new FilesPlugin(_root).List(pattern));

        Assert.Contains("NUL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_VeryLongPattern_IsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => new FilesPlugin(_root).List(string.Concat(Enumerable.Repeat("**/", 1000)) + "*"));

        Assert.Contains("limited to", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("docs/../..")]
    [InlineData("/etc")]
    [InlineData("docs/sub/../../../outside")]
    public void List_FolderLeavingTheRoot_IsRefused(string folder)
    {
        Assert.Throws<UnauthorizedAccessException>(() => new FilesPlugin(_root).List("*", folder));
    }

    [Theory]
    [InlineData("**", "docs/a.md|docs/sub/c.txt")]
    [InlineData("*.md", "docs/a.md")]
    [InlineData("**/*.txt", "docs/sub/c.txt")]
    [InlineData("docs/*", "docs/a.md")]
    [InlineData("docs/**/c.*", "docs/sub/c.txt")]
    [InlineData("config", "")]
    public void List_Patterns_MatchOnlyVisibleFilesInside(string pattern, string expected)
    {
        var paths = Paths(new FilesPlugin(_root).List(pattern));

        Assert.Equal(expected.Split('|', StringSplitOptions.RemoveEmptyEntries), paths);
    }

    [Fact]
    public void List_LinkedFolders_AreNotEnteredAndLoopsEnd()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "docs-alias"), "docs");
        Directory.CreateSymbolicLink(Path.Combine(_root, "docs", "sub", "loop"), "../..");
        File.CreateSymbolicLink(Path.Combine(_root, "x"), "y");
        File.CreateSymbolicLink(Path.Combine(_root, "y"), "x");
        var plugin = new FilesPlugin(_root);

        Assert.Equal(["docs/a.md", "docs/sub/c.txt"], Paths(plugin.List("**")));
        // Named as the folder to list, a linked folder inside is listed under its real path.
        Assert.Equal(["docs/a.md", "docs/sub/c.txt"], Paths(plugin.List("**", "docs-alias")));
    }

    [Fact]
    public void List_BigTree_StopsAtTheLimits()
    {
        var many = Directory.CreateDirectory(Path.Combine(_root, "many")).FullName;
        for (var i = 0; i < 60; i++)
        {
            File.WriteAllText(Path.Combine(many, $"f{i:D2}.txt"), "x");
        }

        var listed = Paths(new FilesPlugin(_root, new FilesPluginOptions { MaxListed = 10 }).List("**"));
        var scanned = Paths(new FilesPlugin(_root, new FilesPluginOptions { MaxScanned = 8 }).List("**", "many"));

        Assert.Equal(10, listed.Length);
        Assert.Equal(8, scanned.Length);
        Assert.All(scanned, path => Assert.StartsWith("many/f", path, StringComparison.Ordinal));
    }

    private static string[] Paths(string json) =>
        JsonSerializer.Deserialize<JsonElement>(json).EnumerateArray().Select(e => e.GetProperty("path").GetString()!).ToArray();

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {error}");
    }
}
