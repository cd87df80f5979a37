using System.Text.Json.Serialization;

namespace Plansmith.Plugins.Analyze;

/// <summary>A limit that stopped or cut a run.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SandboxLimit>))]
public enum SandboxLimit
{
    /// <summary>The run took longer than allowed and was killed.</summary>
    Time,

    /// <summary>The run tried to use more memory than allowed.</summary>
    Memory,

    /// <summary>JavaScript: too many statements.</summary>
    Statements,

    /// <summary>JavaScript: too deep a call stack.</summary>
    Recursion,

    /// <summary>The run printed more than allowed; the rest was dropped.</summary>
    Output,

    /// <summary>Python: too many processes.</summary>
    Processes,

    /// <summary>Python: a file grew past the allowed size.</summary>
    FileSize,

    /// <summary>The code wrote more than the sandbox's writable space holds.</summary>
    Disk,
}

/// <summary>What a run of code produced.</summary>
/// <param name="Language">The language it ran in.</param>
/// <param name="Stdout">Standard output (console.log for JavaScript), cut at the output limit.</param>
/// <param name="Stderr">Standard error, or the script error.</param>
/// <param name="ExitCode">0 on success; non-zero after an error or a limit.</param>
/// <param name="Duration">Wall time of the run, sandbox start-up included.</param>
/// <param name="LimitHit">The limit that stopped or cut the run, or null.</param>
public sealed record CodeRunResult(string Language, string Stdout, string Stderr, int ExitCode, TimeSpan Duration, SandboxLimit? LimitHit)
{
    /// <summary>Whether the code ran to the end without an error or a limit.</summary>
    [JsonIgnore]
    public bool Succeeded => ExitCode == 0 && LimitHit is null;
}
