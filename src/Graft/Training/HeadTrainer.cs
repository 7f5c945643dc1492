using Graft.Features;
using Graft.Heads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Training;

/// <summary>
/// Trains a head on cached features with Adam: an epoch of shuffled mini-batches, then the loss
/// and accuracy of train and val in eval mode; the weights with the lowest val loss are kept, and
/// training stops after <see cref="TrainOptions.Patience"/> epochs without a better one, or at once
/// when the loss stops being a finite number.
/// </summary>
public sealed class HeadTrainer(ILogger? logger = null)
{
    readonly ILogger _logger = logger ?? NullLogger.Instance;

    // A NaN or an infinity in the features (from --mean/--std or an ONNX model's output) would
    // make every loss NaN, which would be blamed on the learning rate.
    static void RequireFinite(FeatureSet set)
    {
        var bad = Enumerable.Range(0, set.Count).Where(i => !set.Features[i].All(float.IsFinite)).ToList();
        if (bad.Count == 0)
            return;
        throw new GraftException(
            $"the features of {Counted.Of(bad.Count, "image")} are not finite numbers (NaN or infinity), such as " +
            $"{set.Paths[bad[0]]}; check --mean and --std, or the ONNX model's output, then run with --no-cache " +
            "(or clear the feature cache) so that they are computed again");
    }

    /// <summary>Trains a <paramref name="spec"/> head on <paramref name="train"/>, choosing by <paramref name="val"/>.</summary>
    public TrainedHead Train(
        FeatureSet train, FeatureSet val, int classCount, HeadSpec spec, TrainOptions options,
        IProgress<EpochRecord>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        if (train.Count == 0)
            throw new GraftException("No training image could be used: every file was skipped (see the warnings above)");

        RequireFinite(train);
        RequireFinite(val);
        random.manual_seed(options.Seed);
        var dim = train.Features[0].Length;
        var head = new Classifier(spec, dim, classCount);
        Initialise(head, options.Seed);
        using var x = Stack(train.Features, dim);
        using var y = tensor(train.Labels.Select(l => (long)l).ToArray());
        using var valX = Stack(val.Features, dim);
        using var valY = tensor(val.Labels.Select(l => (long)l).ToArray());
        head.SetStandardisation(x);

        using var optimizer = optim.Adam(head.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        optim.lr_scheduler.LRScheduler? scheduler = options.Schedule switch
        {
            "step" => optim.lr_scheduler.StepLR(optimizer, options.StepSize, options.Gamma),
            "cosine" => optim.lr_scheduler.CosineAnnealingLR(optimizer, options.Epochs),
            _ => null,
        };

        var shuffle = new Random(options.Seed);
        var order = Enumerable.Range(0, train.Count).ToArray();
        var history = new List<EpochRecord>();
        Dictionary<string, Tensor>? best = null;
        var bestLoss = double.PositiveInfinity;
        var bestEpoch = 0;
        var stopReason = "completed all epochs";
        var hasVal = val.Count > 0;

        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            if (cancellation.IsCancellationRequested)
            {
                stopReason = "interrupted";
                break;
            }

            var learningRate = optimizer.ParamGroups.First().LearningRate;
            head.train();
            shuffle.Shuffle(order);
            var diverged = false;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var count = Math.Min(options.BatchSize, order.Length - start);
                // A batch of one is merged into the previous one for heads whose statistics need two.
                if (count == 1 && start > 0 && spec.Kind == "mlp")
                    break;
                using var scope = NewDisposeScope();
                using var index = tensor(order.AsSpan(start, count).ToArray().Select(i => (long)i).ToArray());
                var logits = head.forward(x.index_select(0, index));
                var loss = head.Loss(logits, y.index_select(0, index));
                if (!double.IsFinite(loss.item<float>()))
                {
                    diverged = true;
                    break;
                }
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            scheduler?.step();

            var (trainLoss, trainAccuracy) = Measure(head, x, y);
            var (valLoss, valAccuracy) = hasVal ? Measure(head, valX, valY) : (trainLoss, trainAccuracy);
            if (diverged || !double.IsFinite(trainLoss) || !double.IsFinite(valLoss))
            {
                if (best is null)
                    throw new GraftException(
                        $"training diverged in epoch {epoch} before any epoch gave a finite loss, so there is no " +
                        $"model to keep; lower --lr (now {options.LearningRate:G3})");
                stopReason = $"diverged at epoch {epoch} (the loss is no longer a finite number); " +
                             $"kept epoch {bestEpoch}. Lower --lr (now {options.LearningRate:G3})";
                _logger.LogWarning("Training {Reason}", stopReason);
                break;
            }

            var isBest = valLoss < bestLoss;
            if (isBest)
            {
                bestLoss = valLoss;
                bestEpoch = epoch;
                DisposeAll(best);
                best = head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            }
            var record = new EpochRecord(epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, learningRate, isBest);
            history.Add(record);
            progress?.Report(record);
            _logger.LogDebug(
                "epoch {Epoch}: train loss {TrainLoss:F4} acc {TrainAcc:F4}, val loss {ValLoss:F4} acc {ValAcc:F4}",
                epoch, trainLoss, trainAccuracy, valLoss, valAccuracy);

            if (options.Patience > 0 && epoch - bestEpoch >= options.Patience)
            {
                stopReason = $"early stop: no better val loss for {Counted.Of(options.Patience, "epoch")}";
                break;
            }
        }

        if (best is not null)
        {
            head.load_state_dict(best);
            DisposeAll(best);
        }
        head.eval();
        return new TrainedHead(head, history, bestEpoch, stopReason);
    }

    /// <summary>
    /// Draws every weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's Linear default
    /// range) with a generator of its own, so the start depends on the seed alone and not on whatever
    /// else in the process has drawn from torch's global generator.
    /// </summary>
    static void Initialise(Classifier head, int seed)
    {
        var generator = new Random(seed);
        using var noGrad = no_grad();
        long fanIn = 1;
        foreach (var (_, parameter) in head.named_parameters())
        {
            if (parameter.dim() == 2)
                fanIn = parameter.shape[1];
            var bound = 1 / Math.Sqrt(fanIn);
            var values = new float[parameter.numel()];
            for (var i = 0; i < values.Length; i++)
                values[i] = (float)((generator.NextDouble() * 2 - 1) * bound);
            using var initial = tensor(values, parameter.shape);
            parameter.copy_(initial);
        }
    }

    /// <summary>Mean loss and accuracy of <paramref name="head"/> in eval mode.</summary>
    public static (double Loss, double Accuracy) Measure(Classifier head, Tensor x, Tensor y)
    {
        if (x.shape[0] == 0)
            return (double.NaN, double.NaN);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var wasTraining = head.training;
        head.eval();
        var logits = head.forward(x);
        var loss = head.Loss(logits, y).item<float>();
        var accuracy = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        if (wasTraining)
            head.train();
        return (loss, accuracy);
    }

    /// <summary>Stacks feature vectors into a [n, dim] tensor.</summary>
    public static Tensor Stack(float[][] features, int dim)
    {
        var flat = new float[features.Length * dim];
        for (var i = 0; i < features.Length; i++)
            features[i].CopyTo(flat, i * dim);
        return tensor(flat, [features.Length, dim]);
    }

    static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
            return;
        foreach (var t in tensors.Values)
            t.Dispose();
    }
}
