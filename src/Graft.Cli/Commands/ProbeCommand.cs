using System.CommandLine;
using System.Diagnostics;
using Graft.Cli.Terminal;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary><c>graft probe DATA</c>: a linear head on each stage's features, to see which layer suits.</summary>
public static class ProbeCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var data = ProbeOptions.Data();
        var layers = ProbeOptions.Layers();
        var seed = ProbeOptions.Seed();
        var backbone = ProbeOptions.Backbone();
        var valFraction = ProbeOptions.ValFraction();
        var cache = CommonOptions.Cache();
        var noCache = CommonOptions.NoCache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();

        var command = new Command("probe",
            "Train a linear head on each layer's frozen features and compare them on val")
        {
            data, layers, backbone, seed, valFraction, cache, noCache, quiet, verbose,
        };
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation =>
            {
                var request = new ProbeRequest
                {
                    DataDir = parsed.GetValue(data)!, Layers = ProbeOptions.ParseLayers(parsed.GetValue(layers)),
                    Seed = parsed.GetValue(seed), ValFraction = parsed.GetValue(valFraction),
                    CacheDir = parsed.GetValue(cache), NoCache = parsed.GetValue(noCache),
                    Backbone = parsed.GetValue(backbone)!,
                };
                var clock = Stopwatch.StartNew();
                var logger = new ConsoleLogger(mode);
                var result = CommandRunner.WithProgress(mode,
                    observer => new ProbeRun(logger, observer).Run(request, cancellation));

                ProbeReports.PrintProbe(result);
                var best = result.Best;
                Console.Out.WriteLine(
                    $"Best layer: {best.Layer} (val accuracy {best.ValAccuracy:F4}, loss {best.ValLoss:F4})");
                CommandRunner.PrintSummary(result.Summary, logger.Warnings, clock.Elapsed);
                return 0;
            });
        });
        return command;
    }
}
