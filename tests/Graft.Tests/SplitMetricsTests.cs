using Graft.Evaluation;
using Graft.Heads;
using static TorchSharp.torch;

namespace Graft.Tests;

public class SplitMetricsTests
{
    // Log-probabilities: p for the predicted class, the rest shared by the others.
    static float[] OneHotish(int predicted, int classes, float p = 0.8f)
    {
        var row = Enumerable.Repeat(MathF.Log((1 - p) / (classes - 1)), classes).ToArray();
        row[predicted] = MathF.Log(p);
        return row;
    }

    [Fact]
    public void ThreeClassConfusionWorkedByHand()
    {
        // truth:     a a a b b c
        // predicted: a b a b c c  -> a: 2/3, b: 1/2, c: 1/1, overall 4/6
        string[] classes = ["a", "b", "c"];
        int[] truth = [0, 0, 0, 1, 1, 2];
        int[] predicted = [0, 1, 0, 1, 2, 2];
        var probabilities = predicted.Select(p => OneHotish(p, 3)).ToArray();

        var metrics = SplitMetrics.Compute(classes, truth, probabilities);

        Assert.Equal(new[] { new[] { 2, 1, 0 }, new[] { 0, 1, 1 }, new[] { 0, 0, 1 } }, metrics.Confusion);
        Assert.Equal(4 / 6.0, metrics.Accuracy, 12);
        Assert.Equal(new ClassMetrics(2, 3, 2 / 3.0), metrics.PerClass["a"]);
        Assert.Equal(new ClassMetrics(1, 2, 0.5), metrics.PerClass["b"]);
        Assert.Equal(new ClassMetrics(1, 1, 1.0), metrics.PerClass["c"]);
        // Right answers have p = 0.8, wrong ones give the true class 0.1.
        var expectedLoss = (4 * -Math.Log(0.8f) + 2 * -Math.Log(0.1f)) / 6;
        Assert.Equal(expectedLoss, metrics.Loss, 5);
    }

    [Fact]
    public void ClassAbsentFromSplitHasNoAccuracy()
    {
        var metrics = SplitMetrics.Compute(["x", "y"], [0, 0], [OneHotish(0, 2), OneHotish(1, 2)]);
        Assert.Equal(new ClassMetrics(1, 2, 0.5), metrics.PerClass["x"]);
        Assert.Equal(new ClassMetrics(0, 0, null), metrics.PerClass["y"]);
        Assert.Equal(new[] { new[] { 1, 1 }, new[] { 0, 0 } }, metrics.Confusion);
    }

    [Fact]
    public void TiesGoToTheFirstClass()
    {
        var metrics = SplitMetrics.Compute(["x", "y"], [1], [[MathF.Log(0.5f), MathF.Log(0.5f)]]);
        Assert.Equal(0, metrics.Accuracy);
        Assert.Equal(1, metrics.Confusion[1][0]);
    }

    [Fact]
    public void ConfidentlyWrongLossIsTheCrossEntropyTheHeadTrainsOn()
    {
        // Logits hundreds apart: the true class's probability is 0 in a float, its log is not.
        using var head = new Classifier(HeadSpec.Of("linear"), 2, 2);
        using (no_grad())
            foreach (var parameter in head.parameters())
                parameter.mul_(1000);
        float[][] features = [[5f, -3f], [-4f, 6f], [2f, 7f], [-1f, -6f]];
        var truth = Probabilities.Of(head, features).Select(p => 1 - SplitMetrics.ArgMax(p)).ToArray();

        var metrics = SplitMetrics.Compute(["a", "b"], truth, Probabilities.LogOf(head, features));

        using var x = tensor(features.SelectMany(f => f).ToArray(), [features.Length, 2]);
        using var y = tensor(truth.Select(t => (long)t).ToArray());
        using var logits = head.forward(x);
        using var crossEntropy = head.Loss(logits, y);
        var expected = crossEntropy.item<float>();
        Assert.True(expected > 100, $"the head is not confident enough to test this ({expected})");
        Assert.Equal(0, metrics.Accuracy);
        Assert.Equal(expected, metrics.Loss, expected * 1e-5);
    }
}
