namespace Plansmith.Plugins.Analyze;

/// <summary>Runs untrusted code in one language, within limits, without harm to the host.</summary>
public interface ICodeSandbox
{
    /// <summary>The language it runs, lower case: <c>javascript</c>, <c>python</c>.</summary>
    string Language { get; }

    /// <summary>Why the sandbox cannot run here (a missing program, say), or null when it can.</summary>
    string? Unavailable { get; }

    /// <summary>Runs the code. Limits hit and script errors are results, not exceptions.</summary>
    /// <exception cref="SandboxUnavailableException">The backend cannot run on this machine.</exception>
    Task<CodeRunResult> RunAsync(string code, SandboxLimits limits, CancellationToken cancellationToken = default);
}

/// <summary>A sandbox backend is missing on this machine; the message says what to install.</summary>
public sealed class SandboxUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SandboxUnavailableException(string message)
        : base(message)
    {
    }
}
