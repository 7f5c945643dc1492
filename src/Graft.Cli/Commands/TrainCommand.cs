using System.CommandLine;
using System.Diagnostics;
using Graft.Backbones;
using Graft.Cli.Terminal;
using Graft.Data;
using Graft.Heads;
using Graft.Running;
using Graft.Training;
using Microsoft.Extensions.Logging;

namespace Graft.Cli.Commands;

/// <summary><c>graft train DATA --out DIR</c>: frozen features and a new head.</summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var data = new Argument<string>("DATA")
        {
            Description = "Folder of class folders (DATA/<class>/...), or with train/ and val/ (and test/) of them",
        };
        var output = new Option<string>("--out", "-o") { Description = "Folder for model, metrics.json, history.csv", Required = true, HelpName = "DIR" };
        var head = new Option<string>("--head") { Description = "linear, mlp or svm", DefaultValueFactory = _ => "linear" };
        var epochs = new Option<int?>("--epochs") { Description = "Most epochs (default: linear 100, mlp 30, svm 100)" };
        var batch = new Option<int?>("--batch-size") { Description = "Samples per step (default 32)" };
        var lr = new Option<double?>("--lr") { Description = "Learning rate (default 1e-3)" };
        var decay = new Option<double?>("--weight-decay") { Description = "L2 penalty (default: linear 0.1, mlp 0, svm 1e-3)" };
        var schedule = new Option<string?>("--schedule") { Description = "none, step or cosine (default: mlp step, others none)" };
        var patience = new Option<int?>("--patience") { Description = "Early stopping after this many epochs without a better val loss; 0: off (default 10)" };
        var seed = new Option<int>("--seed") { Description = "Seed for the split, initialisation and shuffling", DefaultValueFactory = _ => 0 };
        var valFraction = new Option<double>("--val-fraction") { Description = "Share of each class held out for val when there is no val folder", DefaultValueFactory = _ => 0.2 };
        var hidden = new Option<string?>("--hidden") { Description = "mlp hidden widths, comma-separated (default 1028,512)" };
        var dropout = new Option<double>("--dropout") { Description = "mlp dropout", DefaultValueFactory = _ => 0.5 };
        var layer = new Option<string?>("--layer")
        {
            Description = "Backbone layer the features come from: layer1-layer4 for ResNets (default " +
                          "layer4), pool1-pool5, fc6 or fc7 for VGG and AlexNet (default fc7); see graft backbones",
        };
        var backbone = new Option<string>("--backbone")
        {
            Description = "resnet18 (embedded), a torchvision state_dict .pth (ResNet, VGG, AlexNet, " +
                          "MobileNetV2) as a path, a file name or an architecture name found in " +
                          "$TORCH_HOME/hub/checkpoints, or an ONNX image model (see graft backbones)",
            DefaultValueFactory = _ => "resnet18", HelpName = "SPEC",
        };
        var onnxOutput = new Option<string?>("--output")
        {
            Description = "ONNX backbone: the output holding the features, [N,C] or [N,C,1,1] (default: the first)",
            HelpName = "NODE",
        };
        var mean = new Option<string?>("--mean") { Description = "ONNX backbone: RGB mean on 0-1 pixels (default 0.485,0.456,0.406)" };
        var std = new Option<string?>("--std") { Description = "ONNX backbone: RGB std (default 0.229,0.224,0.225)" };
        var size = new Option<int?>("--size") { Description = "ONNX backbone: input side when the model does not fix it (default 224)" };
        var strategy = new Option<string>("--strategy")
        {
            Description = "frozen: a head on --layer; auto: measure the data (as advise does) and follow the " +
                          "advice: the layer for a frozen head, or fine-tuning",
            DefaultValueFactory = _ => "frozen",
        };
        var fineTune = FineTuneOptionSet.Create();
        var cache = CommonOptions.Cache();
        var noCache = CommonOptions.NoCache();
        var quiet = CommonOptions.Quiet();
        var verbose = CommonOptions.Verbose();

        var command = new Command("train", "Train a new head on frozen pretrained features, keep the best epoch, write the model")
        {
            data, output, head, epochs, batch, lr, decay, schedule, patience, seed, valFraction, hidden, dropout,
            cache, noCache, quiet, verbose, backbone, onnxOutput, mean, std, size, layer, strategy,
        };
        fineTune.AddTo(command);
        command.SetAction(parsed =>
        {
            var mode = OutputMode.Detect(parsed.GetValue(quiet), parsed.GetValue(verbose));
            return CommandRunner.Run(mode, cancellation =>
            {
                var kind = parsed.GetValue(head)!;
                // Options of the mlp head are refused on another head, as fine-tuning's are without --finetune.
                foreach (var mlpOnly in new Option[] { hidden, dropout })
                    if (kind != "mlp" && parsed.GetResult(mlpOnly) is { Implicit: false })
                        throw new GraftException($"{mlpOnly.Name} applies to --head mlp, not {kind}");
                var spec = HeadSpec.Of(kind, ParseHidden(parsed.GetValue(hidden)), parsed.GetValue(dropout));
                var defaults = TrainOptions.For(kind);
                var options = defaults with
                {
                    Epochs = parsed.GetValue(epochs) ?? defaults.Epochs,
                    BatchSize = parsed.GetValue(batch) ?? defaults.BatchSize,
                    LearningRate = parsed.GetValue(lr) ?? defaults.LearningRate,
                    WeightDecay = parsed.GetValue(decay) ?? defaults.WeightDecay,
                    Schedule = parsed.GetValue(schedule) ?? defaults.Schedule,
                    Patience = parsed.GetValue(patience) ?? defaults.Patience,
                    Seed = parsed.GetValue(seed),
                };
                var (fineTuneOptions, fineTuneSettings) = fineTune.Read(parsed, options, parsed.GetValue(batch),
                    parsed.GetValue(schedule), parsed.GetValue(patience), parsed.GetValue(strategy) == "auto");
                var request = new TrainRequest
                {
                    DataDir = parsed.GetValue(data)!, OutDir = parsed.GetValue(output)!, Head = spec, Options = options,
                    ValFraction = parsed.GetValue(valFraction), CacheDir = parsed.GetValue(cache),
                    NoCache = parsed.GetValue(noCache), Backbone = parsed.GetValue(backbone)!,
                    Onnx = new ImageModelOptions(parsed.GetValue(onnxOutput), ParseRgb("--mean", parsed.GetValue(mean)),
                        ParseRgb("--std", parsed.GetValue(std)), parsed.GetValue(size)),
                    Layer = parsed.GetValue(layer), Strategy = parsed.GetValue(strategy)!,
                    FineTune = fineTuneOptions, FineTuneSettings = fineTuneSettings,
                    Resume = fineTune.Resume(parsed),
                };
                if (request.Strategy == "auto" && parsed.GetValue(layer) is not null)
                    throw new GraftException("--layer and --strategy auto exclude each other (auto chooses)");
                var unusedFraction = parsed.GetResult(valFraction) is { Implicit: false } &&
                                     ImageFolderDataset.HasValFolder(request.DataDir);
                return Execute(request, mode, cancellation, unusedFraction);
            }, CommandRunner.InterruptedBefore("a model was written", !parsed.GetValue(noCache)),
                "files already written are whole (each goes to a temporary file, then is renamed); " +
                "an interrupted fine-tuning run goes on with the same command and --resume");
        });
        return command;
    }

    static int Execute(TrainRequest request, OutputMode mode, CancellationToken cancellation, bool unusedFraction)
    {
        var clock = Stopwatch.StartNew();
        var logger = new ConsoleLogger(mode);
        if (unusedFraction)
            logger.LogWarning("--val-fraction is not used: {Data} has a val folder, which is the val set", request.DataDir);
        var result = CommandRunner.WithProgress(mode,
            observer => new TrainingRun(logger, observer).Run(request, cancellation));

        if (!mode.Quiet)
        {
            Console.Out.WriteLine(
                $"Features: {result.FromCache} from the cache, {result.Extracted} extracted" +
                (result.Extracted == 0 ? " (nothing to extract)" : ""));
            if (result.Metrics.Strategy is { } chosen)
                Console.Out.WriteLine($"Strategy (auto): {chosen.Chosen}. Why: {chosen.Why}");
            var training = result.Metrics.Training;
            Console.Out.WriteLine(training.FineTuneEpochs is { } fineTuneEpochs
                ? $"Head {training.Head} on {training.Backbone}/{training.Layer}: {Counted.Of(training.HeadEpochs, "head epoch")} " +
                  $"(best {training.HeadBestEpoch}), then {Counted.Of(fineTuneEpochs, "fine-tuning epoch")}; kept " +
                  (training.BestPhase == "head"
                      ? $"head epoch {training.HeadBestEpoch} (fine-tuning did not lower the val loss)"
                      : $"fine-tuning epoch {training.BestEpoch} (lowest val loss)") + $"; {training.StopReason}"
                : $"Head {training.Head} on {training.Backbone}/{training.Layer}: {Counted.Of(training.EpochsRun, "epoch")}, " +
                  $"kept epoch {training.BestEpoch} (lowest val loss); {training.StopReason}");
            Reports.PrintSplits(result.Metrics);
            Reports.PrintPerClass("val", result.Metrics.Val);
            Console.Out.WriteLine($"Wrote {result.ModelPath}, metrics.json and history.csv in {request.OutDir}");
        }
        else
        {
            Console.Out.WriteLine($"val accuracy {result.Metrics.Val.Accuracy:F4}, loss {result.Metrics.Val.Loss:F4}");
        }
        CommandRunner.PrintSummary(result.Summary, logger, clock.Elapsed);
        return 0;
    }

    static float[]? ParseRgb(string option, string? text)
    {
        if (text is null)
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float,
                    System.Globalization.CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i])
                || (option == "--std" && values[i] <= 0))
                throw new GraftException($"{option} '{text}': give three numbers for R, G and B" +
                                         (option == "--std" ? ", each above 0" : "") + ", such as 0.5,0.5,0.5");
        }
        return values;
    }

    static int[]? ParseHidden(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            var widths = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(int.Parse).ToArray();
            if (widths.Length == 0 || widths.Any(w => w < 1))
                throw new FormatException();
            return widths;
        }
        catch (FormatException)
        {
            throw new GraftException($"--hidden '{text}': give positive widths separated by commas, such as 1028,512");
        }
    }
}
