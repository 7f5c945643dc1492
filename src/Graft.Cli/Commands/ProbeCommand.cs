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
        var options = new ProbeOptions();
        var layers = ProbeOptions.Layers();
        var command = new Command("probe", "Train a linear head on each layer's frozen features and compare them on val");
        options.AddTo(command);
        command.Options.Add(layers);
        command.SetAction(parsed =>
        {
            var mode = options.Mode(parsed);
            return CommandRunner.Run(mode, cancellation =>
            {
                var request = options.Request(parsed, ProbeOptions.ParseLayers(parsed.GetValue(layers)));
                var clock = Stopwatch.StartNew();
                var logger = new ConsoleLogger(mode);
                var result = CommandRunner.WithProgress(mode,
                    observer => new ProbeRun(logger, observer).Run(request, cancellation));

                ProbeReports.PrintProbe(result);
                var best = result.Best;
                Console.Out.WriteLine(
                    $"Best layer: {best.Layer} (val accuracy {best.ValAccuracy:F4}, loss {best.ValLoss:F4})");
                CommandRunner.PrintSummary(result.Summary, logger, clock.Elapsed);
                return 0;
            }, CommandRunner.InterruptedBefore("the probe table was printed", !options.Request(parsed).NoCache));
        });
        return command;
    }
}
