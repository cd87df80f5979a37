namespace Plansmith.Cli.Setup;

/// <summary>A usage or configuration error: the message names the cause and the fix; the exit code is 2.</summary>
internal sealed class CliSetupException : Exception
{
    public CliSetupException(string message)
        : base(message)
    {
    }

    public CliSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
