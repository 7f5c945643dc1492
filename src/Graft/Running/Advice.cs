using System.Globalization;

namespace Graft.Running;

/// <summary>
/// Which of the four classic transfer-learning situations a data set is in, the strategy that
/// suits it, and the measurements behind the choice.
/// </summary>
/// <remarks>
/// The rule (<see cref="Decide"/>):
/// <list type="bullet">
/// <item>Size: small when the smallest class has fewer than <see cref="LargeImagesPerClass"/>
/// training images. Below that, updating millions of backbone weights tends to fit the training
/// images rather than the task, and a head on frozen features is the safer bet.</item>
/// <item>Similarity to ImageNet: similar when (a) pretrained layer4 features remove at least
/// <see cref="SimilarErrorReduction"/> of the val errors that the same architecture with random
/// weights makes at layer4, and (b) no earlier pretrained layer beats layer4's val accuracy by
/// <see cref="EarlierLayerMargin"/> or more. ImageNet's last stage encodes ImageNet's object parts;
/// when it adds little over random filters, or a more generic earlier stage does better, the data
/// looks unlike ImageNet.</item>
/// <item>Negative transfer: warned of when pretrained features do no better than random ones, at
/// the best layer or at any probed layer: lower val accuracy, or the same accuracy and no lower
/// val loss. Never when both classify every val image correctly, which shows nothing.</item>
/// <item>Too small to judge: with fewer than <see cref="MinValImages"/> val images, fewer than
/// <see cref="MinValImagesPerClass"/> in some class, or pretrained and random layer4 both at
/// 1.0, the val set cannot tell pretrained features from random ones. The advice is then the
/// safe default, a linear head on frozen layer4 features, with no similarity verdict and no
/// negative-transfer warning.</item>
/// </list>
/// The thresholds are judgement, checked against the shared data sets (photos near ImageNet,
/// X-rays and 28x28 clothing far from it), not derived from theory.
/// </remarks>
public sealed record Advice
{
    /// <summary>Training images in the smallest class from which a data set counts as large.</summary>
    public const int LargeImagesPerClass = 1000;

    /// <summary>
    /// Share of the val errors of random-weight layer4 that pretrained layer4 must remove for the
    /// data to count as similar.
    /// </summary>
    public const double SimilarErrorReduction = 0.5;

    /// <summary>How much higher an earlier layer's val accuracy must be than layer4's to count as better.</summary>
    public const double EarlierLayerMargin = 0.02;

    /// <summary>Fewer val images than this are too few to compare pretrained with random features.</summary>
    public const int MinValImages = 10;

    /// <summary>Fewer val images than this in some class are too few to compare the features.</summary>
    public const int MinValImagesPerClass = 3;

    const string TopLayer = "layer4";

    /// <summary>True when the data set is small (see <see cref="LargeImagesPerClass"/>).</summary>
    public required bool Small { get; init; }

    /// <summary>True when the data looks like ImageNet (see the remarks); false when it could not be judged.</summary>
    public required bool Similar { get; init; }

    /// <summary>
    /// True when the val images could not tell pretrained features from random ones (too few, or
    /// both perfect), so the strategy is the safe default rather than a verdict.
    /// </summary>
    public bool TooSmallToJudge { get; init; }

    /// <summary>The recommended strategy.</summary>
    public required TransferStrategy Strategy { get; init; }

    /// <summary>The layer whose frozen features a head should use.</summary>
    public required string Layer { get; init; }

    /// <summary>The measurements and thresholds that led to the advice, in words.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    /// <summary>Negative-transfer warnings (empty when pretrained features beat random ones everywhere).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Training images in the smallest class.</summary>
    public required int SmallestClassImages { get; init; }

    /// <summary>Linear probes on the pretrained network's stages.</summary>
    public required IReadOnlyList<LayerProbe> Pretrained { get; init; }

    /// <summary>Linear probes on the same architecture with random weights.</summary>
    public required IReadOnlyList<LayerProbe> Random { get; init; }

    /// <summary>The situation in words, such as "small data set, similar to ImageNet".</summary>
    public string Situation => TooSmallToJudge
        ? $"{(Small ? "small" : "large")} data set; the val images cannot judge its similarity to ImageNet"
        : $"{(Small ? "small" : "large")} data set, {(Similar ? "similar to" : "different from")} ImageNet";

    /// <summary>True when pretrained features did no better than random ones at their best layer.</summary>
    public bool NegativeTransfer =>
        !TooSmallToJudge && NoBetter(LayerProbe.Best(Pretrained), LayerProbe.Best(Random));

    /// <summary>The strategy in words, with its layer.</summary>
    public string StrategyText => Describe(Strategy, Layer);

    /// <summary>Describes <paramref name="strategy"/> applied at <paramref name="layer"/>.</summary>
    public static string Describe(TransferStrategy strategy, string layer) => strategy switch
    {
        TransferStrategy.LinearHeadOnTop => $"linear head on frozen {layer} features",
        TransferStrategy.LinearHeadOnEarlierLayer => layer == TopLayer
            ? $"linear head on frozen {layer} features (no earlier layer did better)"
            : $"linear head on frozen {layer} features (an earlier layer)",
        TransferStrategy.FineTuneTop => "fine-tune the top stage (layer4) with a new head",
        _ => "fine-tune all stages with a new head",
    };

    /// <summary>Applies the rule in the remarks to measured numbers.</summary>
    /// <param name="smallestClassImages">Training images in the smallest class.</param>
    /// <param name="pretrained">Linear probes on the pretrained stages; must include layer4.</param>
    /// <param name="random">Linear probes on the random-weight stages; must include layer4.</param>
    /// <param name="valImages">Val images the probes were measured on; null when not known.</param>
    /// <param name="smallestValClassImages">Val images in the smallest class; null when not known.</param>
    public static Advice Decide(
        int smallestClassImages, IReadOnlyList<LayerProbe> pretrained, IReadOnlyList<LayerProbe> random,
        int? valImages = null, int? smallestValClassImages = null)
    {
        var top = pretrained.FirstOrDefault(p => p.Layer == TopLayer)
            ?? throw new ArgumentException("the pretrained probes must include layer4", nameof(pretrained));
        var randomTop = random.FirstOrDefault(p => p.Layer == TopLayer)
            ?? throw new ArgumentException("the random-weight probes must include layer4", nameof(random));
        var reasons = new List<string>();

        var small = smallestClassImages < LargeImagesPerClass;
        reasons.Add($"the smallest class has {Counted.Of(smallestClassImages, "training image")} " +
            $"({(small ? "fewer than" : "at least")} {LargeImagesPerClass}): {(small ? "small" : "large")}");

        var tooSmall = TooSmallToJudgeBecause(top, randomTop, valImages, smallestValClassImages);
        if (tooSmall is not null)
        {
            reasons.Add(tooSmall);
            reasons.Add($"so the safe default: {Describe(TransferStrategy.LinearHeadOnTop, TopLayer)}; " +
                        "add val images (or, when val is split off, a larger --val-fraction) for advice " +
                        "that measures the data");
            return new Advice
            {
                Small = small, Similar = false, TooSmallToJudge = true, Strategy = TransferStrategy.LinearHeadOnTop,
                Layer = TopLayer, Reasons = reasons, Warnings = [], SmallestClassImages = smallestClassImages,
                Pretrained = pretrained, Random = random,
            };
        }

        // Error reduction rather than an accuracy gap, so that 0.90 -> 0.99 counts as much as 0.50 -> 0.95.
        // Random weights that make no val error leave pretraining nothing to remove (both perfect
        // was handled above as too easy to judge).
        var randomErrors = 1 - randomTop.ValAccuracy;
        var reduction = randomErrors <= 0 ? 0 : (randomErrors - (1 - top.ValAccuracy)) / randomErrors;
        var topHelps = reduction >= SimilarErrorReduction;
        reasons.Add(randomErrors <= 0
            ? $"layer4 val accuracy {F(top.ValAccuracy)} pretrained against {F(randomTop.ValAccuracy)} with random " +
              "weights: random weights make no val error, so pretraining has none to remove"
            : $"layer4 val accuracy {F(top.ValAccuracy)} pretrained against {F(randomTop.ValAccuracy)} with " +
              $"random weights: pretraining removes {reduction * 100:F0}% of the errors " +
              $"({(topHelps ? "at least" : "less than")} {SimilarErrorReduction * 100:F0}%)");

        var earlier = pretrained.Where(p => p.Layer != TopLayer).ToList();
        var bestEarlier = earlier.Count == 0 ? null : LayerProbe.Best(earlier);
        var earlierWins = bestEarlier is not null && bestEarlier.ValAccuracy >= top.ValAccuracy + EarlierLayerMargin;
        if (bestEarlier is not null)
            reasons.Add($"best earlier layer {bestEarlier.Layer} reaches {F(bestEarlier.ValAccuracy)}, " +
                $"{(earlierWins ? "beating" : "not beating")} layer4 by {EarlierLayerMargin:0.00} or more");

        var similar = topHelps && !earlierWins;
        reasons.Add(similar
            ? "similar to ImageNet: the last stage's pretrained features fit the task"
            : "different from ImageNet: " + (earlierWins
                ? "a more generic earlier stage separates the classes better than the last"
                : "the last stage's pretrained features add little over random filters"));

        var strategy = (small, similar) switch
        {
            (true, true) => TransferStrategy.LinearHeadOnTop,
            (true, false) => TransferStrategy.LinearHeadOnEarlierLayer,
            (false, true) => TransferStrategy.FineTuneTop,
            _ => TransferStrategy.FineTuneAll,
        };
        // Different data: the best pretrained layer by probe, which is layer4 when no earlier one did better.
        var layer = similar ? TopLayer : LayerProbe.Best(pretrained).Layer;
        if (strategy == TransferStrategy.LinearHeadOnEarlierLayer && layer == TopLayer)
            reasons.Add("no earlier layer did better than layer4 on this data, so the head stays on layer4");

        return new Advice
        {
            Small = small, Similar = similar, Strategy = strategy, Layer = layer, Reasons = reasons,
            Warnings = NegativeTransferWarnings(pretrained, random), SmallestClassImages = smallestClassImages,
            Pretrained = pretrained, Random = random,
        };
    }

    /// <summary>Why the val images cannot judge the data, in words; null when they can.</summary>
    static string? TooSmallToJudgeBecause(
        LayerProbe top, LayerProbe randomTop, int? valImages, int? smallestValClassImages)
    {
        if (valImages < MinValImages || smallestValClassImages < MinValImagesPerClass)
            return $"only {Count(valImages)} val images ({Count(smallestValClassImages)} in the smallest class): " +
                   $"too few to tell pretrained features from random ones (at least {MinValImages}, and " +
                   $"{MinValImagesPerClass} per class, are needed)";
        if (top.ValAccuracy >= 1 && randomTop.ValAccuracy >= 1)
            return "pretrained and random-weight layer4 both classify every val image correctly: the val images " +
                   "are too easy to tell pretrained features from random ones";
        return null;
    }

    // Ties in accuracy are common on small val sets; the loss still tells them apart. Two perfect
    // probes show nothing either way.
    static bool NoBetter(LayerProbe pretrained, LayerProbe random) =>
        !(pretrained.ValAccuracy >= 1 && random.ValAccuracy >= 1)
        && (pretrained.ValAccuracy < random.ValAccuracy
            || (pretrained.ValAccuracy == random.ValAccuracy && pretrained.ValLoss >= random.ValLoss));

    static List<string> NegativeTransferWarnings(
        IReadOnlyList<LayerProbe> pretrained, IReadOnlyList<LayerProbe> random)
    {
        var warnings = new List<string>();
        var best = LayerProbe.Best(pretrained);
        var bestRandom = LayerProbe.Best(random);
        if (NoBetter(best, bestRandom))
            warnings.Add($"negative transfer: the best pretrained layer ({best.Layer}, {F(best.ValAccuracy)}) does " +
                $"no better than random weights ({bestRandom.Layer}, {F(bestRandom.ValAccuracy)}); " +
                "ImageNet features do not help here, consider training from scratch");
        foreach (var probe in pretrained)
        {
            var baseline = random.FirstOrDefault(r => r.Layer == probe.Layer);
            if (baseline is not null && NoBetter(probe, baseline))
                warnings.Add($"negative transfer at {probe.Layer}: pretrained {F(probe.ValAccuracy)}, " +
                    $"random weights {F(baseline.ValAccuracy)}");
        }
        return warnings;
    }

    static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);

    static string Count(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "?";
}
