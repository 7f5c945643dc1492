using System.CommandLine;

namespace Graft.Cli.Commands;

/// <summary>Options several commands share.</summary>
public static class CommonOptions
{
    /// <summary>--quiet.</summary>
    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Print errors and the summary only" };

    /// <summary>--verbose.</summary>
    public static Option<bool> Verbose() => new("--verbose", "-v")
    {
        Description = "Print debug details (ignored files, stack traces)",
    };

    /// <summary>--cache DIR.</summary>
    public static Option<string?> Cache() => new("--cache")
    {
        Description = "Feature cache folder (default: $GRAFT_CACHE, else ~/.cache/graft/features)",
        HelpName = "DIR",
    };

    /// <summary>--no-cache.</summary>
    public static Option<bool> NoCache() => new("--no-cache") { Description = "Neither read nor write cached features" };
}
