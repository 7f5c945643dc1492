using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Heads;

/// <summary>Class probabilities from a head, always in eval mode.</summary>
public static class Probabilities
{
    /// <summary>Softmax of the head's logits for each feature vector.</summary>
    public static float[][] Of(Classifier head, float[][] features) =>
        Rows(head, features, logits => nn.functional.softmax(logits, 1));

    /// <summary>
    /// Log-softmax of the head's logits for each feature vector: the log-probabilities a loss is
    /// measured from, exact where a probability is too small for a float.
    /// </summary>
    public static float[][] LogOf(Classifier head, float[][] features) =>
        Rows(head, features, logits => nn.functional.log_softmax(logits, 1));

    static float[][] Rows(Classifier head, float[][] features, Func<Tensor, Tensor> normalise)
    {
        if (features.Length == 0)
            return [];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        head.eval();
        var x = Training.HeadTrainer.Stack(features, head.InputDim);
        var flat = normalise(head.forward(x)).contiguous().data<float>().ToArray();
        var k = head.ClassCount;
        return Enumerable.Range(0, features.Length).Select(i => flat.AsSpan(i * k, k).ToArray()).ToArray();
    }
}
