namespace Plansmith.Plugins.Tests;

/// <summary>Finds processes by a marker in their command line.</summary>
public static class ProcessProbe
{
    /// <summary>How many processes carry <paramref name="marker"/> on their command line.</summary>
    public static int Count(string marker) =>
        Directory.EnumerateDirectories("/proc").Where(d => char.IsDigit(Path.GetFileName(d)[0])).Count(d =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(d, "cmdline")).Contains(marker, StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        });

    /// <summary>
    /// Polls until no process carries the marker, or the deadline passes; returns the last count.
    /// A killed process can linger briefly until the kernel reaps it: this waits for that, not for time.
    /// </summary>
    public static async Task<int> CountUntilZeroAsync(string marker, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        int count;
        while ((count = Count(marker)) > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        return count;
    }
}
