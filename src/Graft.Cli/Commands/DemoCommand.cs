using System.CommandLine;
using System.Diagnostics;
using Graft.Cli.Terminal;
using Graft.Data;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary>
/// <c>graft demo</c>: the whole main job on a sample it draws itself (circles and squares), so a
/// fresh clone can see Graft work with no data: train, evaluate, predict.
/// </summary>
public static class DemoCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Folder for the sample, the model and the reports (default: graft-demo in the temporary folder, such as /tmp/graft-demo)",
            HelpName = "DIR",
        };
        var cache = CommonOptions.Cache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();
        var command = new Command("demo", "Train, evaluate and predict on a small drawn sample (needs no data)")
        {
            output, cache, quiet, verbose,
        };
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation => Run(parsed.GetValue(output), parsed.GetValue(cache), mode, cancellation));
        });
        return command;
    }

    // A sample holding nothing but what the demo draws: train/ and val/ of circle/ and square/
    // with the demo's own file names (circle_000.png, ...), and its marker (older demos wrote none).
    static bool LooksDrawn(string data)
    {
        var splits = Directory.EnumerateFileSystemEntries(data).Select(Path.GetFileName)
            .Where(name => name != DrawnMarker).Order().ToList();
        if (!splits.SequenceEqual(["train", "val"]))
            return false;
        foreach (var split in splits)
        {
            var folder = Path.Combine(data, split!);
            var classes = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order().ToList();
            if (!classes.SequenceEqual(["circle", "square"]))
                return false;
            foreach (var name in classes)
                if (!Directory.Exists(Path.Combine(folder, name!)) ||
                    Directory.EnumerateFileSystemEntries(Path.Combine(folder, name!))
                        .Any(file => !System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(file), $"^{name}_\\d+\\.(png|jpg)$")))
                    return false;
        }
        return true;
    }

    // Marks a sample folder as the demo's own (a hidden file, so not read as a class).
    const string DrawnMarker = ".graft-demo";

    static int Run(string? outDir, string? cache, OutputMode mode, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        var root = outDir ?? Path.Combine(Path.GetTempPath(), "graft-demo");
        var data = Path.Combine(root, "shapes");
        var modelDir = Path.Combine(root, "model");
        var cacheDir = cache ?? Path.Combine(root, "cache");
        // The drawn sample is replaced on each run, but only a folder that an earlier demo drew.
        var marker = Path.Combine(data, DrawnMarker);
        if (File.Exists(root) || File.Exists(data))
            throw new GraftException($"{(File.Exists(root) ? root : data)} is a file, so it is left alone; give the " +
                                     "demo a folder with --out");
        if (Directory.Exists(data))
        {
            if (!LooksDrawn(data))
                throw new GraftException($"{data} holds files that graft demo did not draw, so it is left alone; " +
                                         "give the demo another --out");
            Directory.Delete(data, recursive: true);
        }
        ShapeImages.Write(data, classes: 2, trainPerClass: 24, valPerClass: 12);
        File.WriteAllText(marker, "drawn by graft demo; the next demo into this folder replaces it\n");
        Console.Out.WriteLine($"1/3 Drew a sample of circles and squares: {data} (train 48, val 24 images)");

        var logger = new ConsoleLogger(mode);
        var request = new TrainRequest { DataDir = data, OutDir = modelDir, CacheDir = cacheDir };
        var result = CommandRunner.WithProgress(mode, observer => new TrainingRun(logger, observer).Run(request, cancellation));
        Console.Out.WriteLine(
            $"2/3 Trained a linear head on frozen ResNet-18 features: val accuracy {result.Metrics.Val.Accuracy:F4}, " +
            $"loss {result.Metrics.Val.Loss:F4} (kept epoch {result.Metrics.Training.BestEpoch}); model in {modelDir}");
        if (!mode.Quiet)
            Reports.PrintPerClass("val", result.Metrics.Val);

        using var predictor = Predictor.Open(modelDir, new Graft.Features.FeatureCache(cacheDir), logger: logger);
        var sample = Directory.GetDirectories(Path.Combine(data, "val")).Order(StringComparer.Ordinal)
            .SelectMany(folder => ClassFolders.Files(folder).Take(2)).Select(f => new LabeledImage(f, -1)).ToList();
        var (features, probabilities) = predictor.Predict("predict", sample, cancellation);
        Console.Out.WriteLine("3/3 Predicted new images:");
        for (var i = 0; i < features.Count; i++)
        {
            var best = Graft.Evaluation.SplitMetrics.ArgMax(probabilities[i]);
            Console.Out.WriteLine($"    {Path.GetFileName(features.Paths[i])}: {predictor.ClassNames[best]} ({probabilities[i][best]:P1})");
        }

        Console.Out.WriteLine($"Demo done in {clock.Elapsed.TotalSeconds:F1} s. Next: ./graft train YOUR_DATA --out model");
        return result.Metrics.Val.Accuracy >= 0.75 ? 0 : CommandRunner.InternalError;
    }
}
