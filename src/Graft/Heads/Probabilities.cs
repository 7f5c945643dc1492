using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Heads;

/// <summary>Class probabilities from a head, always in eval mode.</summary>
public static class Probabilities
{
    /// <summary>Softmax of the head's logits for each feature vector.</summary>
    public static float[][] Of(Classifier head, float[][] features)
    {
        if (features.Length == 0)
            return [];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        head.eval();
        var x = Training.HeadTrainer.Stack(features, head.InputDim);
        var probabilities = nn.functional.softmax(head.forward(x), 1).contiguous();
        var flat = probabilities.data<float>().ToArray();
        var k = head.ClassCount;
        return Enumerable.Range(0, features.Length).Select(i => flat.AsSpan(i * k, k).ToArray()).ToArray();
    }
}
