using System.Text.RegularExpressions;
using Plansmith.Cli.Rendering;

namespace Plansmith.Cli.Setup;

/// <summary>
/// Credentials written into a URL (<c>http://user:KEY@host/v1</c>) never travel further: they are
/// taken out of the URL before it is used, shown, logged or stored, and the password is masked
/// wherever it might appear.
/// </summary>
internal static partial class Endpoints
{
    /// <summary>
    /// Removes the user information from <paramref name="uri"/>. Returns the password (or the
    /// whole user information when there is no password), for use as the key when none is given
    /// otherwise, or null when the URL held none.
    /// </summary>
    public static string? TakeCredentials(ref Uri uri, TextWriter diagnostics, string flag)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return null;
        }

        var info = Uri.UnescapeDataString(uri.UserInfo);
        var colon = info.IndexOf(':', StringComparison.Ordinal);
        var secret = colon >= 0 ? info[(colon + 1)..] : info;
        TerminalText.Secrets.Add(secret);
        TerminalText.Secrets.Add(uri.UserInfo);
        uri = new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;
        diagnostics.WriteLine($"warning: {flag} held credentials; they were removed from the URL and are used as the API key. Set PLANSMITH_API_KEY instead: a URL is easily seen in process lists and shell history.");
        return secret.Length > 0 ? secret : null;
    }

    /// <summary>A URL (valid or not) as it may be shown: any user information replaced by <c>***</c>.</summary>
    public static string Display(string url) => UserInfo().Replace(url, "$1***@");

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9+.\-]*://)[^/@?#]*@")]
    private static partial Regex UserInfo();
}
