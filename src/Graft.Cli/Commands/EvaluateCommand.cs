using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Graft.Cli.Terminal;
using Graft.Models;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary><c>graft evaluate DIR SPLIT_DIR</c>: loss, accuracy, per-class accuracy and confusion.</summary>
public static class EvaluateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "Folder written by 'graft train' (or its model file)" };
        var split = new Argument<string>("SPLIT_DIR") { Description = "Labelled folder of class folders, such as DATA/val" };
        var output = new Option<string?>("--out", "-o") { Description = "Write the metrics as JSON to this file", HelpName = "FILE.json" };
        var cache = CommonOptions.Cache();
        var noCache = CommonOptions.NoCache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();
        var command = new Command("evaluate", "Measure a trained model on a labelled folder")
        {
            model, split, output, cache, noCache, quiet, verbose,
        };
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation =>
            {
                var clock = Stopwatch.StartNew();
                if (parsed.GetValue(output) is { } target)
                    OutputFolder.RequireWritableFile(target, "evaluation.json", parsed.GetValue(model)!,
                        parsed.GetValue(split)!);
                var logger = new ConsoleLogger(mode);
                var featureCache = FeatureSource.OpenCache(parsed.GetValue(cache), parsed.GetValue(noCache));
                var folder = parsed.GetValue(split)!;
                var (metrics, summary) = CommandRunner.WithProgress(mode, observer =>
                {
                    using var predictor = Predictor.Open(parsed.GetValue(model)!, featureCache, observer, logger);
                    return predictor.Evaluate(folder, cancellation);
                });

                Console.Out.WriteLine($"{folder}: accuracy {metrics.Accuracy:F4}, loss {metrics.Loss:F4}, {Counted.Of(metrics.Images, "image")}");
                if (!mode.Quiet)
                    Reports.PrintPerClass(folder, metrics);
                if (parsed.GetValue(output) is { } path)
                {
                    AtomicFile.WriteText(path, JsonSerializer.Serialize(metrics, ModelFile.Json) + "\n");
                    if (!mode.Quiet)
                        Console.Out.WriteLine($"Wrote {path}");
                }
                CommandRunner.PrintSummary(summary, logger, clock.Elapsed);
                return 0;
            }, CommandRunner.InterruptedBefore("the metrics were written", !parsed.GetValue(noCache)));
        });
        return command;
    }
}
