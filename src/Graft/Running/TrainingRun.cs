using System.Globalization;
using System.Text;
using System.Text.Json;
using Graft.Backbones;
using Graft.Data;
using Graft.Evaluation;
using Graft.Features;
using Graft.Heads;
using Graft.Models;
using Graft.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Graft.Running;

/// <summary>
/// The main job: read the data folder, extract (or reuse) frozen features, train a head, keep the
/// best epoch, measure every split, and write the model, metrics.json and history.csv.
/// </summary>
public sealed class TrainingRun(ILogger? logger = null, IRunObserver? observer = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;
    readonly IRunObserver _observer = observer ?? Observed.None;

    /// <summary>Runs <paramref name="request"/>.</summary>
    public TrainResult Run(TrainRequest request, CancellationToken cancellation = default)
    {
        request.Options.Validate();
        OutputFolder.Prepare(request.DataDir, request.OutDir, _logger);
        if (request.FineTune is not null && request.Strategy == "auto")
            throw new GraftException("--strategy auto and --finetune exclude each other: auto decides whether to " +
                                     "fine-tune; give one of them");
        if (request.FineTune is not null && request.Layer is { } layer && layer != EmbeddedResNet18.TopLayer)
            throw new GraftException($"--layer {request.Layer} and --finetune exclude each other: fine-tuning " +
                                     "trains a head on layer4; leave --layer out");
        RejectUnsupportedBackboneUse(request);
        if (request.Resume)
            FineTuneCheckpoint.RequireExists(Path.Combine(request.OutDir, FineTuneCheckpoint.FileName));
        // Held from here to the end, through the measurements of --strategy auto and fine-tuning.
        using var claim = OutputFolder.Claim(request.OutDir);
        var strategy = request.Strategy switch
        {
            "frozen" => null,
            "auto" => AutoStrategy.Choose(request, _logger, _observer, cancellation),
            _ => throw new GraftException($"--strategy '{request.Strategy}': use frozen or auto"),
        };
        if (strategy is not null)
            request = request with { Layer = strategy.Layer, Choice = strategy };
        if (strategy is { FineTune: null } && request.FineTuneSettings is { AnyOwn: true })
            _logger.LogWarning("--strategy auto chose a head on frozen features, so the fine-tuning options given " +
                               "are not used");
        if (strategy?.FineTune is { } advised && request.FineTune is null)
            request = request with
            {
                FineTune = (request.FineTuneSettings ?? new FineTuneSettings()).For(advised, request.Options.Seed),
            };
        if (request.FineTune is not null)
            return new FineTuningRun(_logger, _observer).Run(request, cancellation);
        if (request.Resume)
            throw new GraftException(strategy is null
                ? "--resume continues a fine-tuning run; give --finetune as well"
                : $"--resume continues a fine-tuning run, and --strategy auto chose {strategy.Chosen} here, which " +
                  "does not fine-tune; run without --resume");
        var data = ImageFolderDataset.Load(request.DataDir, request.ValFraction, request.Options.Seed);
        foreach (var warning in data.Warnings)
            _logger.LogWarning("{Warning}", warning);
        foreach (var entry in data.Ignored)
            _logger.LogDebug("Ignored {Entry}", entry);

        using var extractor = BackboneCatalog.OpenSpec(
            request.Backbone, request.Layer, request.CheckpointsDir, request.Onnx, _logger);
        var source = new FeatureSource(extractor, FeatureSource.OpenCache(request.CacheDir, request.NoCache, request.DataDir),
            _observer, _logger);
        var train = source.Extract("train", data.Train, cancellation);
        var val = source.Extract("val", data.Val, cancellation);
        var test = data.Test is null ? null : source.Extract("test", data.Test, cancellation);
        cancellation.ThrowIfCancellationRequested();
        RequireUsableImages(data, train, val);

        _observer.TrainingStarted(request.Options.Epochs);
        var trained = new HeadTrainer(_logger).Train(
            train, val, data.ClassNames.Count, request.Head, request.Options, Observed.Epochs(_observer), cancellation);
        using var head = trained.Head;

        var all = new[] { train, val, test }.OfType<FeatureSet>().ToList();
        var skipped = all.SelectMany(f => f.Skipped).ToList();
        var summary = new RunSummary(all.Sum(f => f.Count), skipped,
            data.Warnings.Concat(all.SelectMany(f => f.Warnings).Select(w => $"{w.Path}: {w.Reason}")).ToList());
        var metrics = new RunMetrics
        {
            Classes = data.ClassNames,
            Images = new ImageCounts(summary.Used, skipped.Count, summary.SkippedByKind),
            Train = Measure(head, train, data.ClassNames),
            Val = Measure(head, val, data.ClassNames),
            Test = test is null ? null : Measure(head, test, data.ClassNames),
            Training = TrainingSummary.Frozen(source.Backbone.Id, source.Backbone.Layer, request.Head.Kind,
                trained.History.Count, trained.BestEpoch, trained.StopReason),
            Strategy = strategy,
        };

        Directory.CreateDirectory(request.OutDir);
        var modelPath = Path.Combine(request.OutDir, "model");
        var model = GraftModel.From(head, new ModelMetadata
        {
            Classes = data.ClassNames, Backbone = source.Backbone, Head = request.Head,
            Training = request.Options, ValMetrics = metrics.Val, TrainedOn = TrainingImages.Of(data),
        });
        ModelFile.Save(model, modelPath);
        // A fine-tuning checkpoint left here by an earlier run no longer goes with this model file.
        File.Delete(Path.Combine(request.OutDir, FineTuneCheckpoint.FileName));
        AtomicFile.WriteText(Path.Combine(request.OutDir, "metrics.json"),
            JsonSerializer.Serialize(metrics, ModelFile.Json) + "\n");
        AtomicFile.WriteText(Path.Combine(request.OutDir, "history.csv"), HistoryCsv(trained.History));

        if (trained.StopReason == "interrupted")
            throw new GraftInterruptedException(
                $"interrupted after epoch {trained.History.Count}; {modelPath} holds the best epoch so far " +
                $"({trained.BestEpoch}). Run the same command again to train to the end" +
                (request.NoCache ? "" : " (the features are cached)"));

        return new TrainResult(metrics, trained.History, modelPath,
            all.Sum(f => f.FromCache), all.Sum(f => f.Computed), summary);
    }

    static void RejectUnsupportedBackboneUse(TrainRequest request)
    {
        if (request.Backbone == EmbeddedResNet18.Id)
        {
            if (request.Onnx != new ImageModelOptions())
                throw new GraftException(
                    "--output, --mean, --std and --size apply to an ONNX model given as --backbone");
            return;
        }
        if (request.Strategy == "frozen" && request.FineTune is null && !request.Resume)
            return;
        // Reads the checkpoint's index of names only, so a refusal comes before any work.
        var architecture = BackboneCatalog.IsOnnx(request.Backbone)
            ? null
            : TorchVisionBackbone.Identify(TorchVisionBackbone.Locate(request.Backbone, request.CheckpointsDir));
        if (architecture?.Family != "resnet")
            throw new GraftException(
                $"--backbone {request.Backbone}: --strategy auto and --finetune work with ResNets (the embedded " +
                $"resnet18 or a torchvision ResNet checkpoint), and this is " +
                $"{(architecture is null ? "an ONNX model" : $"a {architecture.Name}")}; train a frozen head " +
                "(the default) on it");
    }

    // A class whose every file was skipped would still get an output of its own, never trained
    // on; and with no val image nothing can be measured or chosen honestly.
    internal static void RequireUsableImages(ImageFolderDataset data, FeatureSet train, FeatureSet val)
    {
        var unusable = Enumerable.Range(0, data.ClassNames.Count).Where(c => !train.Labels.Contains(c)).ToList();
        if (unusable.Count > 0)
        {
            var labels = data.Train.ToDictionary(image => image.Path, image => image.Label);
            var skipped = train.Skipped.Where(skip => labels.TryGetValue(skip.Path, out var label) && unusable.Contains(label))
                .ToList();
            var named = string.Join("; ", skipped.Take(3).Select(skip => $"{skip.Path}: {skip.Reason}")) +
                        (skipped.Count > 3 ? $"; and {skipped.Count - 3} more" : "");
            throw new GraftException(
                $"class{(unusable.Count > 1 ? "es" : "")} {string.Join(", ", unusable.Select(c => $"'{data.ClassNames[c]}'"))}: " +
                $"no training image could be decoded ({named}); add images or remove the folder");
        }
        if (val.Count == 0)
            throw new GraftException(
                "no validation image could be used, so the model cannot be measured or the best epoch chosen; " +
                (data.ValIsSplit
                    ? "add a val folder, or more images per class so some can be held out (--val-fraction)"
                    : "add images that can be decoded to the val folder"));
    }

    /// <summary>The metrics of <paramref name="head"/> on one split's features.</summary>
    public static SplitMetrics Measure(Classifier head, FeatureSet features, IReadOnlyList<string> classNames) =>
        SplitMetrics.Compute(classNames, features.Labels, Probabilities.LogOf(head, features.Features));

    static string HistoryCsv(IReadOnlyList<EpochRecord> history)
    {
        var csv = new StringBuilder("epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,best\n");
        foreach (var r in history)
            csv.AppendLine(string.Join(',', r.Epoch.ToString(CultureInfo.InvariantCulture),
                F(r.TrainLoss), F(r.TrainAccuracy), F(r.ValLoss), F(r.ValAccuracy), F(r.LearningRate),
                r.Best ? "1" : "0"));
        return csv.ToString();

        static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
