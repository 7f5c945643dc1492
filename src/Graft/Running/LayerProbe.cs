namespace Graft.Running;

/// <summary>How well a linear head separates the classes on one stage's pooled features.</summary>
/// <param name="Layer">The stage, such as <c>layer3</c>.</param>
/// <param name="FeatureDim">Length of its feature vectors.</param>
/// <param name="TrainAccuracy">Accuracy on the training images.</param>
/// <param name="ValAccuracy">Accuracy on the held-out val images.</param>
/// <param name="ValLoss">Mean cross-entropy on the val images.</param>
/// <param name="BestEpoch">The epoch whose weights were kept (lowest val loss).</param>
public sealed record LayerProbe(
    string Layer, int FeatureDim, double TrainAccuracy, double ValAccuracy, double ValLoss, int BestEpoch)
{
    /// <summary>
    /// The better of several probes: higher val accuracy, then lower val loss (on a few hundred
    /// val images, ties in accuracy are common and the loss still tells them apart).
    /// </summary>
    public static LayerProbe Best(IEnumerable<LayerProbe> probes) =>
        probes.OrderByDescending(p => p.ValAccuracy).ThenBy(p => p.ValLoss).First();
}
