using System.CommandLine;
using System.Diagnostics;
using Graft.Cli.Terminal;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>
/// <c>graft advise DATA</c>: measures the data set and names its transfer-learning situation and
/// the strategy that suits it.
/// </summary>
public static class AdviseCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var data = ProbeOptions.Data();
        var seed = ProbeOptions.Seed();
        var backbone = ProbeOptions.Backbone();
        var valFraction = ProbeOptions.ValFraction();
        var cache = CommonOptions.Cache();
        var noCache = CommonOptions.NoCache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();

        var command = new Command("advise",
            "Measure images per class and pretrained against random features per layer; recommend a strategy")
        {
            data, backbone, seed, valFraction, cache, noCache, quiet, verbose,
        };
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation =>
            {
                var request = new ProbeRequest
                {
                    DataDir = parsed.GetValue(data)!, Seed = parsed.GetValue(seed),
                    ValFraction = parsed.GetValue(valFraction), CacheDir = parsed.GetValue(cache),
                    NoCache = parsed.GetValue(noCache), Backbone = parsed.GetValue(backbone)!,
                };
                var clock = Stopwatch.StartNew();
                var logger = new ConsoleLogger(mode);
                var (advice, pretrained, _) = CommandRunner.WithProgress(mode,
                    observer => new AdviceRun(logger, observer).Run(request, cancellation));

                ProbeReports.PrintAdvice(advice, pretrained);
                CommandRunner.PrintSummary(pretrained.Summary, logger.Warnings, clock.Elapsed);
                return 0;
            });
        });
        return command;
    }
}
