namespace Graft.Cli.Terminal;

/// <summary>How much a command prints, and whether it may draw progress bars.</summary>
public sealed record OutputMode(bool Quiet, bool Verbose, bool Interactive)
{
    /// <summary>The mode for the current process and the given flags.</summary>
    public static OutputMode Detect(bool quiet, bool verbose) =>
        new(quiet, verbose, !quiet && !Console.IsOutputRedirected && !Console.IsErrorRedirected
                            && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));
}
