using System.Text.Json.Serialization;

namespace Graft.Evaluation;

/// <summary>
/// A classifier's results on one split: accuracy, mean cross-entropy of the predicted
/// class distributions, accuracy per class, and the confusion matrix (rows = true class, columns =
/// predicted class, in the order of the model's class names).
/// </summary>
public sealed record SplitMetrics
{
    /// <summary>Share of images whose top prediction is right.</summary>
    [JsonPropertyName("accuracy")] public required double Accuracy { get; init; }

    /// <summary>Mean negative log probability of the true class (the cross-entropy the heads train on).</summary>
    [JsonPropertyName("loss")] public required double Loss { get; init; }

    /// <summary>Number of images measured.</summary>
    [JsonPropertyName("images")] public required int Images { get; init; }

    /// <summary>Per class: correct, total, accuracy (null where the split has none of it).</summary>
    [JsonPropertyName("per_class")] public required Dictionary<string, ClassMetrics> PerClass { get; init; }

    /// <summary>Counts, rows = true class, columns = predicted class.</summary>
    [JsonPropertyName("confusion")] public required int[][] Confusion { get; init; }

    /// <summary>
    /// Computes the metrics of predicted <paramref name="logProbabilities"/> (natural log, one row
    /// per image) against <paramref name="truth"/>. Log-probabilities keep the loss of a confidently
    /// wrong prediction exact, where a probability would underflow to zero.
    /// </summary>
    public static SplitMetrics Compute(IReadOnlyList<string> classNames, int[] truth, float[][] logProbabilities)
    {
        if (truth.Length != logProbabilities.Length)
            throw new ArgumentException($"{truth.Length} labels but {logProbabilities.Length} predictions");

        var k = classNames.Count;
        var confusion = Enumerable.Range(0, k).Select(_ => new int[k]).ToArray();
        var logLoss = 0.0;
        for (var i = 0; i < truth.Length; i++)
        {
            var predicted = ArgMax(logProbabilities[i]);
            confusion[truth[i]][predicted]++;
            logLoss -= logProbabilities[i][truth[i]];
        }

        var perClass = new Dictionary<string, ClassMetrics>();
        for (var c = 0; c < k; c++)
        {
            var total = confusion[c].Sum();
            var correct = confusion[c][c];
            perClass[classNames[c]] = new ClassMetrics(correct, total, total == 0 ? null : correct / (double)total);
        }

        var right = Enumerable.Range(0, k).Sum(c => confusion[c][c]);
        return new SplitMetrics
        {
            Accuracy = truth.Length == 0 ? 0 : right / (double)truth.Length,
            Loss = truth.Length == 0 ? 0 : logLoss / truth.Length,
            Images = truth.Length,
            PerClass = perClass,
            Confusion = confusion,
        };
    }

    /// <summary>Index of the largest value (the first one on ties).</summary>
    public static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }
}
