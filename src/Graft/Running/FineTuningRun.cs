using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Graft.Backbones;
using Graft.Backbones.Torch;
using Graft.Data;
using Graft.Evaluation;
using Graft.Features;
using Graft.Heads;
using Graft.Models;
using Graft.Training;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp.Modules;

namespace Graft.Running;

/// <summary>
/// <c>graft train --finetune</c>: trains the head on cached frozen features first (cheap), then
/// unfreezes the last stages of the backbone and goes on end to end from that head on augmented
/// images. The model file is rewritten whenever the val loss improves and a checkpoint after every
/// epoch, both atomically, so an interrupted run keeps its best model and can be resumed.
/// Run through <see cref="TrainingRun"/>, which holds the output folder for it.
/// </summary>
internal sealed class FineTuningRun(ILogger? logger = null, IRunObserver? observer = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;
    readonly IRunObserver _observer = observer ?? Observed.None;

    /// <summary>Runs <paramref name="request"/>, whose <see cref="TrainRequest.FineTune"/> is set.</summary>
    /// <exception cref="GraftException">Bad input, or an interruption (the message says how to resume).</exception>
    public TrainResult Run(TrainRequest request, CancellationToken cancellation = default)
    {
        var fine = request.FineTune ?? throw new ArgumentException("no fine-tuning options", nameof(request));
        fine.Validate();
        request.Options.Validate();
        var data = ImageFolderDataset.Load(request.DataDir, request.ValFraction, request.Options.Seed);
        foreach (var warning in data.Warnings)
            _logger.LogWarning("{Warning}", warning);

        var identity = RunIdentity.Of(request.DataDir, request.ValFraction, data, request.Backbone, request.Layer,
            request.Head, request.Options, fine);
        var checkpointPath = Path.Combine(request.OutDir, FineTuneCheckpoint.FileName);
        var checkpoint = request.Resume ? FineTuneCheckpoint.Load(checkpointPath) : null;
        var restoreBest = false;
        if (checkpoint is not null)
        {
            RequireSameRun(checkpoint, checkpointPath, identity);
            restoreBest = !HoldsBestModel(checkpoint, Path.Combine(request.OutDir, "model"), checkpointPath);
            _logger.LogInformation("Resuming after fine-tuning epoch {Epoch}", checkpoint.State.Epoch);
        }

        using var extractor = BackboneCatalog.OpenSpec(
            request.Backbone, request.Layer, request.CheckpointsDir, request.Onnx, _logger);
        var source = new FeatureSource(extractor, FeatureSource.OpenCache(request.CacheDir, request.NoCache, request.DataDir),
            _observer, _logger);
        var train = source.Extract("train", data.Train, cancellation);
        var val = source.Extract("val", data.Val, cancellation);
        var test = data.Test is null ? null : source.Extract("test", data.Test, cancellation);
        cancellation.ThrowIfCancellationRequested();
        TrainingRun.RequireUsableImages(data, train, val);

        using var network = OpenTrainable(extractor.Backbone);
        var headSpec = request.Head;
        var headOptions = request.Options;
        Classifier head;
        IReadOnlyList<EpochRecord> headHistory;
        if (checkpoint is null)
        {
            _observer.TrainingStarted(headOptions.Epochs);
            var trained = new HeadTrainer(_logger).Train(train, val, data.ClassNames.Count, headSpec, headOptions,
                Observed.Epochs(_observer), cancellation);
            cancellation.ThrowIfCancellationRequested();
            head = trained.Head;
            headHistory = trained.History;
        }
        else
        {
            head = checkpoint.Model.CreateHead();
            using var stored = StoredResNetWeights.Load(checkpoint.Model.BackboneWeights);
            network.Network.load_state_dict(stored.Network.state_dict(), strict: false);
            headHistory = checkpoint.State.HeadHistory;
        }

        using (head)
        {
            FineTuner.Unfreeze(network, fine);
            network.UseChannelsLast();
            using var optimizer = FineTuner.CreateOptimizer(network, head, fine, headOptions.WeightDecay);
            if (checkpoint is not null)
                using (var reader = new BinaryReader(new MemoryStream(checkpoint.OptimizerState)))
                    optimizer.load_state_dict(reader);

            var backbone = source.Backbone;
            var preprocessing = backbone.Preprocessing;
            var resize = preprocessing.Resize;
            var square = new ResizeSpec("crop", resize.ResizeTo, resize.ResizeTo);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var tuneData = new FineTuneData(
                train.Paths.Select(p => ImageDecoder.Decode(p, square)).ToList(), train.Labels,
                val.Paths.Select(p => ImageDecoder.Decode(p, resize)).ToList(), val.Labels, preprocessing,
                backbone.Layer);
            _logger.LogInformation("Decoded {Count} images into memory in {Seconds:F1} s",
                tuneData.Train.Count + tuneData.Val.Count, clock.Elapsed.TotalSeconds);

            var metadata = new ModelMetadata
            {
                Classes = data.ClassNames, Backbone = backbone, Head = headSpec, Training = headOptions,
                FineTune = fine, TrainedOn = TrainingImages.Of(data),
            };
            var modelPath = Path.Combine(request.OutDir, "model");
            var bestModel = checkpoint?.State.BestModel;
            if (restoreBest)
            {
                // The checkpoint's weights are the best epoch's (HoldsBestModel checked), so the model file
                // can be written again; its val metrics are measured at the end.
                var restored = Pack(head, network, metadata, fingerprint: true);
                ModelFile.Save(restored, modelPath);
                bestModel = restored.Metadata.Backbone.WeightsFingerprint;
                _logger.LogWarning("{Path} did not hold the checkpoint's best epoch (it was missing, another run's, " +
                                   "or written for a later epoch just before the run was killed); wrote epoch " +
                                   "{Epoch} again from the checkpoint, and the run goes on from there",
                    modelPath, checkpoint!.State.BestEpoch);
            }
            var tuner = new FineTuner(_logger)
            {
                BestEpochReached = (_, logProbabilities) =>
                {
                    var saved = Pack(head, network, metadata with
                    {
                        ValMetrics = SplitMetrics.Compute(data.ClassNames, val.Labels, logProbabilities),
                    }, fingerprint: true);
                    ModelFile.Save(saved, modelPath);
                    bestModel = saved.Metadata.Backbone.WeightsFingerprint;
                },
                EpochCompleted = (state, optimizerNow) => new FineTuneCheckpoint(
                        state with { HeadHistory = headHistory, BestModel = bestModel },
                        Pack(head, network, metadata, fingerprint: false), OptimizerBytes(optimizerNow), identity)
                    .Save(checkpointPath),
                Progress = Observed.Epochs(_observer),
            };
            _observer.TrainingStarted(fine.Epochs);
            clock.Restart();
            var startEpoch = checkpoint?.State.Epoch ?? 0;
            var final = tuner.Run(network, head, optimizer, tuneData, data.ClassNames, fine, checkpoint?.State,
                cancellation);
            var epochs = final.Epoch - startEpoch;
            if (epochs > 0)
                _logger.LogInformation("Fine-tuning: {Epochs} in {Seconds:F1} s, {Rate:F1} training images/s",
                    Counted.Of(epochs, "epoch"), clock.Elapsed.TotalSeconds, epochs * tuneData.Train.Count / clock.Elapsed.TotalSeconds);
            if (final.Interrupted)
                throw new GraftInterruptedException(
                    $"interrupted after fine-tuning epoch {final.Epoch} (the epoch in progress, if any, is not " +
                    $"kept); {modelPath} holds the best epoch so far ({final.BestEpoch}) and {checkpointPath} the " +
                    $"last completed one ({final.Epoch}). Continue with the same command and --resume");

            return Finish(request, data, source, train, val, test, final, headHistory, modelPath, checkpointPath);
        }
    }

    // Going on from another run's checkpoint would continue that run (its weights, its schedule)
    // while measuring on these images: a run nobody asked for, reported as if it were this one.
    static void RequireSameRun(FineTuneCheckpoint checkpoint, string checkpointPath, RunIdentity identity)
    {
        var differences = checkpoint.Identity.Differences(identity);
        if (differences.Count == 0)
            return;
        throw new GraftException(
            $"{checkpointPath}: --resume goes on with the run that wrote this checkpoint, and this command differs " +
            $"from it: {string.Join("; ", differences)}. Repeat the interrupted command with --resume, or run " +
            "without --resume to start again");
    }

    // The checkpoint holds the last epoch's weights and the model file the best epoch's. A model file
    // deleted or replaced since (another train into the same folder, a copy) would be reported as this
    // run's best; it is only recoverable when the last epoch was the best one.
    static bool HoldsBestModel(FineTuneCheckpoint checkpoint, string modelPath, string checkpointPath)
    {
        // A checkpoint from before the best model was recorded in it: nothing to compare with.
        if (checkpoint.State.BestModel is null && File.Exists(modelPath))
            return true;
        string? found = null;
        if (File.Exists(modelPath))
        {
            try
            {
                found = ModelFile.Load(modelPath).Metadata.Backbone.WeightsFingerprint;
            }
            catch (GraftException)
            {
                // A damaged model file is as good as a missing one.
            }
        }
        if (found is not null && found == checkpoint.State.BestModel)
            return true;
        if (checkpoint.State.BestEpoch == checkpoint.State.Epoch)
            return false;
        var what = found is null ? "is missing or damaged" : "was replaced by another model";
        throw new GraftException(
            $"{modelPath} {what}: it should hold this run's best epoch ({checkpoint.State.BestEpoch}), which " +
            $"{checkpointPath} does not keep (it holds epoch {checkpoint.State.Epoch}), so the run cannot go on " +
            "with its best weights. Run again without --resume to start over");
    }

    TrainResult Finish(TrainRequest request, ImageFolderDataset data, FeatureSource source, FeatureSet train,
        FeatureSet val, FeatureSet? test, FineTuneState final, IReadOnlyList<EpochRecord> headHistory,
        string modelPath, string checkpointPath)
    {
        // The best epoch's weights are in the model file, whichever process wrote it.
        var best = ModelFile.Load(modelPath);
        using var head = best.CreateHead();
        using var network = StoredResNetWeights.Load(best.BackboneWeights);
        var backbone = best.Backbone;
        var preprocessing = backbone.Preprocessing;
        SplitMetrics Measure(FeatureSet split, IReadOnlyList<string> classNames)
        {
            var images = split.Paths.Select(p => ImageDecoder.Decode(p, preprocessing.Resize)).ToList();
            var logProbabilities = FineTuner.Classify(network, head, images, preprocessing, backbone.Layer,
                request.FineTune!.BatchSize);
            return SplitMetrics.Compute(classNames, split.Labels, logProbabilities);
        }

        var all = new[] { train, val, test }.OfType<FeatureSet>().ToList();
        var skipped = all.SelectMany(f => f.Skipped).ToList();
        var summary = new RunSummary(all.Sum(f => f.Count), skipped,
            data.Warnings.Concat(all.SelectMany(f => f.Warnings).Select(w => $"{w.Path}: {w.Reason}")).ToList());
        var fine = best.Metadata.FineTune!;
        var metrics = new RunMetrics
        {
            Classes = data.ClassNames,
            Images = new ImageCounts(summary.Used, skipped.Count, summary.SkippedByKind),
            Train = Measure(train, data.ClassNames),
            // Measured from the same weights when the best epoch was saved; a second pass would repeat it.
            Val = best.Metadata.ValMetrics ?? Measure(val, data.ClassNames),
            Test = test is null ? null : Measure(test, data.ClassNames),
            Training = TrainingSummary.FineTuned(backbone.Id, backbone.Layer, best.Metadata.Head.Kind,
                headHistory.Count, headHistory.LastOrDefault(r => r.Best)?.Epoch ?? 0, final.Epoch, final.BestEpoch,
                $"fine-tuned {fine.Describe()}: {final.StopReason}"),
            Strategy = request.Choice,
        };

        ModelFile.Save(best with { Metadata = best.Metadata with { ValMetrics = metrics.Val } }, modelPath);
        AtomicFile.WriteText(Path.Combine(request.OutDir, "metrics.json"),
            JsonSerializer.Serialize(metrics, ModelFile.Json) + "\n");
        AtomicFile.WriteText(Path.Combine(request.OutDir, "history.csv"),
            HistoryCsv(headHistory, final.History));
        File.Delete(checkpointPath);
        return new TrainResult(metrics, final.History, modelPath, all.Sum(f => f.FromCache), all.Sum(f => f.Computed),
            summary);
    }

    /// <summary>
    /// The backbone as a TorchSharp ResNet that can learn: the embedded ResNet-18 rebuilt from its
    /// ONNX file, or the torchvision checkpoint the backbone was read from.
    /// </summary>
    static TorchResNet OpenTrainable(BackboneInfo backbone)
    {
        if (backbone.Source is null)
            return TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        var network = TorchVisionCheckpoint.Load(backbone.Source);
        if (network is TorchResNet resnet)
            return resnet;
        network.Dispose();
        throw new GraftException(
            $"--finetune: {backbone.Source} holds a {network.Architecture.Name}; fine-tuning works with ResNets " +
            "(the embedded resnet18 or a torchvision ResNet checkpoint). Train a frozen head on it instead");
    }

    /// <summary>The head and the whole backbone as a model; fine-tuned weights get their own fingerprint.</summary>
    static GraftModel Pack(Classifier head, TorchResNet network, ModelMetadata metadata, bool fingerprint)
    {
        var model = GraftModel.From(head, metadata).WithBackbone(network.Network);
        if (!fingerprint)
            return model;
        // Features from these weights differ from the pretrained ones, so the feature cache must key on them.
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, tensor) in model.BackboneWeights.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(MemoryMarshal.AsBytes(tensor.Data.AsSpan()));
        }
        var id = Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant();
        var backbone = metadata.Backbone with
        {
            WeightsFingerprint = $"{metadata.Backbone.WeightsFingerprint}+finetuned:{id}",
        };
        return model with { Metadata = model.Metadata with { Backbone = backbone } };
    }

    static byte[] OptimizerBytes(OptimizerHelper optimizer)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            optimizer.save_state_dict(writer);
        return stream.ToArray();
    }

    static string HistoryCsv(IReadOnlyList<EpochRecord> head, IReadOnlyList<EpochRecord> fineTuning)
    {
        var csv = new StringBuilder("phase,epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,best\n");
        foreach (var (phase, records) in new[] { ("head", head), ("finetune", fineTuning) })
            foreach (var r in records)
            {
                // Fine-tuning's epoch 0 is its starting point, measured on val with no training pass.
                var trained = !(phase == "finetune" && r.Epoch == 0);
                csv.AppendLine(string.Join(',', phase, r.Epoch.ToString(CultureInfo.InvariantCulture),
                    trained ? F(r.TrainLoss) : "", trained ? F(r.TrainAccuracy) : "", F(r.ValLoss),
                    F(r.ValAccuracy), F(r.LearningRate), r.Best ? "1" : "0"));
            }
        return csv.ToString();

        static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    }
}
