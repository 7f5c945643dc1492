using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Graft.Cli.Terminal;
using Graft.Data;
using Graft.Evaluation;
using Graft.Running;

namespace Graft.Cli.Commands;

/// <summary><c>graft predict DIR IMAGES</c>: a label, its probability and the top k for each image.</summary>
public static class PredictCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "Folder written by 'graft train' (or its model file)" };
        var images = new Argument<string[]>("IMAGES")
        {
            Description = "Image files or folders (searched recursively; no labels needed)", Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string?>("--out", "-o") { Description = "Write the predictions to this file: JSON when it ends in .json, else CSV (default: CSV to standard output)", HelpName = "FILE" };
        var topK = new Option<int>("--top-k", "-k") { Description = "How many classes to list per image", DefaultValueFactory = _ => 3 };
        var cache = CommonOptions.Cache();
        var noCache = CommonOptions.NoCache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();
        var command = new Command("predict", "Predict the class of new images with a trained model")
        {
            model, images, output, topK, cache, noCache, quiet, verbose,
        };
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation =>
            {
                var clock = Stopwatch.StartNew();
                var k = parsed.GetValue(topK);
                if (k < 1)
                    throw new GraftException($"--top-k must be at least 1 (got {k})");
                if (parsed.GetValue(output) is { } target)
                    OutputFolder.RequireWritableFile(target, "predictions.csv", parsed.GetValue(model)!,
                        parsed.GetValue(images)!);
                var files = Collect(parsed.GetValue(images)!);
                var logger = new ConsoleLogger(mode);
                var featureCache = FeatureSource.OpenCache(parsed.GetValue(cache), parsed.GetValue(noCache));
                var (classes, features, probabilities) = CommandRunner.WithProgress(mode, observer =>
                {
                    using var predictor = Predictor.Open(parsed.GetValue(model)!, featureCache, observer, logger);
                    var (f, p) = predictor.Predict("images", files, cancellation);
                    return (predictor.ClassNames, f, p);
                });

                if (features.Count == 0)
                    throw new GraftException(
                        $"none of the {files.Count} files could be decoded as an image (see the warnings above)");
                var top = Math.Min(k, classes.Count);
                if (parsed.GetValue(output) is { } path)
                {
                    AtomicFile.WriteText(path, path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
                        ? Json(classes, features.Paths, probabilities, top)
                        : Csv(classes, features.Paths, probabilities, top));
                    if (!mode.Quiet)
                        Console.Out.WriteLine($"Wrote {features.Count} predictions to {path}");
                }
                else
                {
                    Console.Out.Write(Csv(classes, features.Paths, probabilities, top));
                }
                var summary = new RunSummary(features.Count, features.Skipped,
                    features.Warnings.Select(w => $"{w.Path}: {w.Reason}").ToList());
                var toStdout = parsed.GetValue(output) is null;
                CommandRunner.PrintSummary(summary, logger, clock.Elapsed, toStdout ? Console.Error : null);
                return 0;
            }, CommandRunner.InterruptedBefore("any prediction was written", !parsed.GetValue(noCache)));
        });
        return command;
    }

    static List<LabeledImage> Collect(string[] inputs)
    {
        var files = new List<LabeledImage>();
        foreach (var input in inputs)
        {
            if (Directory.Exists(input))
                files.AddRange(ClassFolders.Files(input).Select(f => new LabeledImage(f, -1)));
            else if (File.Exists(input))
                files.Add(new LabeledImage(input, -1));
            else
                throw new GraftException($"{input}: no such file or folder");
        }
        if (files.Count == 0)
            throw new GraftException($"{string.Join(", ", inputs)}: no files to predict");
        return files;
    }

    static string Csv(IReadOnlyList<string> classes, string[] paths, float[][] probabilities, int k)
    {
        var csv = new StringBuilder("file,label,probability,top_k\n");
        for (var i = 0; i < paths.Length; i++)
        {
            var ranked = Ranked(probabilities[i], k)
                .Select(c => $"{classes[c]}:{probabilities[i][c].ToString("F6", CultureInfo.InvariantCulture)}");
            var best = SplitMetrics.ArgMax(probabilities[i]);
            csv.Append(Quote(paths[i])).Append(',').Append(Quote(classes[best])).Append(',')
                .Append(probabilities[i][best].ToString("F6", CultureInfo.InvariantCulture)).Append(',')
                .Append(Quote(string.Join(';', ranked))).Append('\n');
        }
        return csv.ToString();
    }

    static IEnumerable<int> Ranked(float[] probabilities, int k) =>
        Enumerable.Range(0, probabilities.Length).OrderByDescending(c => probabilities[c]).Take(k);

    // One object per image: the file, its label and probability, and the top k with theirs.
    static string Json(IReadOnlyList<string> classes, string[] paths, float[][] probabilities, int k)
    {
        var rows = paths.Select((path, i) =>
        {
            var best = SplitMetrics.ArgMax(probabilities[i]);
            return new Dictionary<string, object>
            {
                ["file"] = path,
                ["label"] = classes[best],
                ["probability"] = Math.Round(probabilities[i][best], 6),
                ["top_k"] = Ranked(probabilities[i], k)
                    .Select(c => new Dictionary<string, object>
                    {
                        ["label"] = classes[c], ["probability"] = Math.Round(probabilities[i][c], 6),
                    }).ToList(),
            };
        });
        return System.Text.Json.JsonSerializer.Serialize(rows, Graft.Models.ModelFile.Json) + "\n";
    }

    static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : $"\"{field.Replace("\"", "\"\"")}\"";
}
