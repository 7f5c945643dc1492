using Graft.Backbones.Torch;
using Graft.Data;
using Graft.Evaluation;
using Graft.Heads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Graft.Training;

/// <summary>
/// Trains the unfrozen stages of a ResNet and a head together on augmented images. The backbone
/// learns at a fraction of the head's rate; frozen parts stay in eval mode so their batch-norm
/// statistics never move; the starting point counts as epoch 0, and the epoch with the lowest val
/// loss is the one to keep.
/// </summary>
public sealed class FineTuner(ILogger? logger = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Told when an epoch has the lowest val loss so far, with its val log-probabilities.</summary>
    public Action<int, float[][]>? BestEpochReached { get; init; }

    /// <summary>Told after every completed epoch, with the optimizer, so a checkpoint can be written.</summary>
    public Action<FineTuneState, OptimizerHelper>? EpochCompleted { get; init; }

    /// <summary>Hears each epoch's record.</summary>
    public IProgress<EpochRecord>? Progress { get; init; }

    /// <summary>Makes the parameters the options name trainable and freezes every other one.</summary>
    public static void Unfreeze(TorchResNet network, FineTuneOptions options)
    {
        network.UnfreezeLastStages(options.Stages);
        if (!options.Stem)
            return;
        foreach (var (name, parameter) in network.Network.named_parameters())
            if (name.StartsWith("conv1.", StringComparison.Ordinal)
                || name.StartsWith("bn1.", StringComparison.Ordinal))
                parameter.requires_grad = true;
    }

    /// <summary>Training mode for the learning parts only; frozen batch norms keep their statistics.</summary>
    public static void SetTraining(TorchResNet network, FineTuneOptions options, bool training)
    {
        network.SetTraining(training);
        if (training && options.Stem)
            network.Network.named_children().First(child => child.name == "bn1").module.train();
        if (training && options.BatchNorm == "frozen")
            foreach (var module in network.Network.modules().OfType<BatchNorm2d>())
                module.eval();
    }

    /// <summary>
    /// The optimizer with two parameter groups: the head's at the fine-tuning rate, the
    /// backbone's at <see cref="FineTuneOptions.BackboneLrFactor"/> of it. Group 0 is the head.
    /// </summary>
    public static OptimizerHelper CreateOptimizer(
        TorchResNet network, Classifier head, FineTuneOptions options, double headWeightDecay)
    {
        var backbone = network.Network.parameters().Where(p => p.requires_grad).ToList();
        var headRate = options.LearningRate;
        var backboneRate = options.LearningRate * options.BackboneLrFactor;
        if (options.Optimizer == "sgd")
            return optim.SGD(
                [
                    new SGD.ParamGroup(head.parameters(), new SGD.Options
                    {
                        LearningRate = headRate, momentum = options.Momentum, weight_decay = headWeightDecay,
                    }),
                    new SGD.ParamGroup(backbone, new SGD.Options
                    {
                        LearningRate = backboneRate, momentum = options.Momentum, weight_decay = options.WeightDecay,
                    }),
                ], headRate, options.Momentum);
        return optim.Adam(
            [
                new Adam.ParamGroup(head.parameters(),
                    new Adam.Options { LearningRate = headRate, weight_decay = headWeightDecay }),
                new Adam.ParamGroup(backbone,
                    new Adam.Options { LearningRate = backboneRate, weight_decay = options.WeightDecay }),
            ], headRate);
    }

    /// <summary>
    /// Splits <paramref name="count"/> samples into batches of <paramref name="size"/>. A last batch
    /// of one joins the one before it: batch norm in training mode cannot learn from one sample.
    /// </summary>
    public static IReadOnlyList<(int Start, int Count)> Batches(int count, int size)
    {
        var batches = new List<(int Start, int Count)>();
        for (var start = 0; start < count; start += size)
            batches.Add((start, Math.Min(size, count - start)));
        if (batches.Count > 1 && batches[^1].Count == 1)
        {
            var last = batches[^2];
            batches[^2] = (last.Start, last.Count + 1);
            batches.RemoveAt(batches.Count - 1);
        }
        return batches;
    }

    /// <summary>
    /// Fine-tunes <paramref name="network"/> and <paramref name="head"/> from <paramref name="start"/>
    /// (null: a fresh run, whose epoch 0 is measured first). The network must already be unfrozen
    /// with <see cref="Unfreeze"/>, and <paramref name="optimizer"/> made by <see cref="CreateOptimizer"/>.
    /// </summary>
    public FineTuneState Run(
        TorchResNet network, Classifier head, OptimizerHelper optimizer, FineTuneData data,
        IReadOnlyList<string> classes, FineTuneOptions options, FineTuneState? start = null,
        CancellationToken cancellation = default)
    {
        options.Validate();
        if (data.Train.Count < 2)
            throw new GraftException(
                $"fine-tuning needs at least 2 training images (found {data.Train.Count}); " +
                "add images or drop --finetune");
        if (data.Val.Count == 0)
            throw new GraftException(
                "fine-tuning keeps the epoch with the lowest val loss, but no val image could be used; add val images");

        using var valPrefix = ValPrefix.Compute(network, data, options);
        var state = start;
        if (state is null)
        {
            // A checkpoint of the starting point lets a run interrupted in its first epoch skip the head phase.
            state = MeasureStart(network, head, data, classes, options, valPrefix);
            EpochCompleted?.Invoke(state, optimizer);
        }
        double[] rates = [options.LearningRate, options.LearningRate * options.BackboneLrFactor];
        var history = state.History.ToList();
        var crop = data.Preprocessing.Resize.Crop;
        var inputLength = data.Preprocessing.InputLength;
        var batches = Batches(data.Train.Count, options.BatchSize);

        for (var epoch = state.Epoch + 1; epoch <= options.Epochs && state.StopReason is null; epoch++)
        {
            var factor = options.ScheduleFactor(epoch);
            var groups = optimizer.ParamGroups.ToList();
            for (var g = 0; g < groups.Count; g++)
                groups[g].LearningRate = rates[g] * factor;

            // Seeds derived from the epoch make a resumed run draw what the uninterrupted one would.
            // The order starts afresh each epoch: shuffling the previous epoch's order would make every
            // epoch depend on all the shuffles before it, which a resumed run has not replayed.
            var random = new Random(options.Seed * 100_003 + epoch);
            var order = Enumerable.Range(0, data.Train.Count).ToArray();
            random.Shuffle(order);
            torch.random.manual_seed(options.Seed * 100_003 + epoch);
            SetTraining(network, options, true);
            head.train();

            double lossSum = 0;
            long correct = 0, seen = 0;
            var diverged = false;
            foreach (var (first, count) in batches)
            {
                if (cancellation.IsCancellationRequested)
                    return state with { Interrupted = true, StopReason = "interrupted" };

                using var scope = NewDisposeScope();
                var input = new float[count * inputLength];
                var labels = new long[count];
                for (var k = 0; k < count; k++)
                {
                    var index = order[first + k];
                    var view = Augmentation.Apply(data.Train[index], crop, options.Augment, random);
                    data.Preprocessing.ToTensor(view, input.AsSpan(k * inputLength, inputLength));
                    labels[k] = data.TrainLabels[index];
                }
                var x = tensor(input, [count, 3, crop, crop]);
                var y = tensor(labels);
                var logits = head.forward(network.Features(x, data.Layer));
                var loss = head.Loss(logits, y);
                var value = loss.item<float>();
                if (!float.IsFinite(value))
                {
                    diverged = true;
                    break;
                }
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += value * count;
                correct += logits.argmax(1).eq(y).sum().item<long>();
                seen += count;
            }

            var (valLoss, valAccuracy, logProbabilities) = MeasureVal(network, head, data, classes, options, valPrefix);
            if (diverged || !double.IsFinite(valLoss))
            {
                var reason = $"diverged at fine-tuning epoch {epoch} (the loss is no longer a finite number); " +
                             $"kept epoch {state.BestEpoch}. Lower --finetune-lr (now {options.LearningRate:G3})";
                _logger.LogWarning("Fine-tuning {Reason}", reason);
                return state with { StopReason = reason };
            }

            var isBest = valLoss < state.BestValLoss;
            var record = new EpochRecord(epoch, lossSum / seen, correct / (double)seen, valLoss, valAccuracy,
                rates[0] * factor, isBest);
            history.Add(record);
            state = new FineTuneState(epoch, isBest ? epoch : state.BestEpoch,
                isBest ? valLoss : state.BestValLoss, history.ToList());
            if (isBest)
                BestEpochReached?.Invoke(epoch, logProbabilities);
            if (options.Patience > 0 && epoch - state.BestEpoch >= options.Patience)
                state = state with { StopReason = $"early stop: no better val loss for {Counted.Of(options.Patience, "epoch")}" };
            else if (epoch == options.Epochs)
                state = state with { StopReason = "completed all epochs" };
            Progress?.Report(record);
            _logger.LogDebug(
                "fine-tuning epoch {Epoch}: train loss {TrainLoss:F4} acc {TrainAcc:F4}, val loss {ValLoss:F4} " +
                "acc {ValAcc:F4}", epoch, record.TrainLoss, record.TrainAccuracy, valLoss, valAccuracy);
            EpochCompleted?.Invoke(state, optimizer);
        }
        return state with { StopReason = state.StopReason ?? "completed all epochs" };
    }

    FineTuneState MeasureStart(TorchResNet network, Classifier head, FineTuneData data, IReadOnlyList<string> classes,
        FineTuneOptions options, ValPrefix? valPrefix)
    {
        var (loss, accuracy, logProbabilities) = MeasureVal(network, head, data, classes, options, valPrefix);
        var record = new EpochRecord(0, double.NaN, double.NaN, loss, accuracy, 0, true);
        Progress?.Report(record);
        BestEpochReached?.Invoke(0, logProbabilities);
        return new FineTuneState(0, 0, double.IsFinite(loss) ? loss : double.PositiveInfinity, [record]);
    }

    static (double Loss, double Accuracy, float[][] LogProbabilities) MeasureVal(
        TorchResNet network, Classifier head, FineTuneData data, IReadOnlyList<string> classes,
        FineTuneOptions options, ValPrefix? valPrefix)
    {
        var logProbabilities = valPrefix?.Classify(network, head, data.Layer)
                            ?? Classify(network, head, data.Val, data.Preprocessing, data.Layer, options.BatchSize);
        var metrics = SplitMetrics.Compute(classes, data.ValLabels, logProbabilities);
        return (ValLoss(head, logProbabilities, data.ValLabels) ?? metrics.Loss, metrics.Accuracy, logProbabilities);
    }

    // The val loss that picks the kept epoch is the one the head trains on, as in the head phase:
    // the hinge for an SVM head (computed from the log-probabilities, which differ from its scores
    // by a shift per image that the hinge does not see); null for the cross-entropy heads, whose
    // loss SplitMetrics already gives.
    static double? ValLoss(Classifier head, float[][] logProbabilities, int[] labels)
    {
        if (head.Spec.Kind != "svm" || logProbabilities.Length == 0)
            return null;
        using var scope = NewDisposeScope();
        var scores = tensor(logProbabilities.SelectMany(row => row).ToArray(),
            [logProbabilities.Length, logProbabilities[0].Length]);
        return head.Loss(scores, tensor(labels.Select(l => (long)l).ToArray())).item<float>();
    }

    /// <summary>Class log-probabilities of images already at the input size, in eval mode.</summary>
    public static float[][] Classify(TorchResNet network, Classifier head, IReadOnlyList<DecodedImage> images,
        Backbones.Preprocessing preprocessing, string layer, int batchSize)
    {
        network.SetTraining(false);
        head.eval();
        var crop = preprocessing.Resize.Crop;
        var inputLength = preprocessing.InputLength;
        var features = new List<float[]>();
        for (var first = 0; first < images.Count; first += batchSize)
        {
            var count = Math.Min(batchSize, images.Count - first);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = new float[count * inputLength];
            for (var k = 0; k < count; k++)
                preprocessing.ToTensor(images[first + k], input.AsSpan(k * inputLength, inputLength));
            var pooled = network.Features(tensor(input, [count, 3, crop, crop]), layer).contiguous();
            var flat = pooled.data<float>().ToArray();
            var dim = flat.Length / count;
            for (var k = 0; k < count; k++)
                features.Add(flat.AsSpan(k * dim, dim).ToArray());
        }
        return Probabilities.LogOf(head, features.ToArray());
    }

    /// <summary>
    /// The val images' activations before the first stage that learns, computed once: the frozen
    /// stem and stages never change, so each epoch's val pass needs only the stages after them.
    /// </summary>
    sealed class ValPrefix : IDisposable
    {
        /// <summary>Activations past which a val set is measured from the images each time.</summary>
        const long MaxBytes = 1L << 30;

        readonly List<Tensor> _batches;
        readonly int _firstStage;

        ValPrefix(List<Tensor> batches, int firstStage)
        {
            _batches = batches;
            _firstStage = firstStage;
        }

        /// <summary>Null when the stem learns too, or the activations would take more than 1 GiB.</summary>
        public static ValPrefix? Compute(TorchResNet network, FineTuneData data, FineTuneOptions options)
        {
            if (options.Stem || data.Val.Count == 0)
                return null;
            network.SetTraining(false);
            var firstStage = TorchResNet.StageNames.Count - network.TrainableStages;
            var crop = data.Preprocessing.Resize.Crop;
            var inputLength = data.Preprocessing.InputLength;
            var batches = new List<Tensor>();
            for (var first = 0; first < data.Val.Count; first += options.BatchSize)
            {
                var count = Math.Min(options.BatchSize, data.Val.Count - first);
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var input = new float[count * inputLength];
                for (var k = 0; k < count; k++)
                    data.Preprocessing.ToTensor(data.Val[first + k], input.AsSpan(k * inputLength, inputLength));
                var prefix = network.Prefix(tensor(input, [count, 3, crop, crop]), firstStage);
                batches.Add(scope.MoveToOuter(prefix));
                if (first == 0 && prefix.NumberOfElements * 4L * data.Val.Count / count > MaxBytes)
                {
                    batches.ForEach(b => b.Dispose());
                    return null;
                }
            }
            return new ValPrefix(batches, firstStage);
        }

        /// <summary>Class log-probabilities of the val images, in eval mode, as <see cref="FineTuner.Classify"/> gives.</summary>
        public float[][] Classify(TorchResNet network, Classifier head, string layer)
        {
            network.SetTraining(false);
            head.eval();
            var features = new List<float[]>();
            foreach (var batch in _batches)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var flat = network.FeaturesFromPrefix(batch, _firstStage, layer).contiguous().data<float>().ToArray();
                var count = (int)batch.shape[0];
                var dim = flat.Length / count;
                for (var k = 0; k < count; k++)
                    features.Add(flat.AsSpan(k * dim, dim).ToArray());
            }
            return Probabilities.LogOf(head, features.ToArray());
        }

        public void Dispose() => _batches.ForEach(b => b.Dispose());
    }
}
