namespace Graft.Running;

/// <summary>The outcome of a linear probe on each of several stages of one backbone.</summary>
/// <param name="Backbone">The backbone's id (<c>resnet18</c>, or <c>resnet18-random</c>).</param>
/// <param name="Classes">Class names in label order.</param>
/// <param name="TrainImagesPerClass">Training images with features, per class.</param>
/// <param name="ValImages">Val images with features.</param>
/// <param name="Layers">One probe per stage, in the order asked.</param>
/// <param name="Summary">Images used and skipped, and warnings.</param>
public sealed record ProbeResult(
    string Backbone, IReadOnlyList<string> Classes, IReadOnlyDictionary<string, int> TrainImagesPerClass,
    int ValImages, IReadOnlyList<LayerProbe> Layers, RunSummary Summary)
{
    /// <summary>Val images with features, per class (every class named, 0 when it has none).</summary>
    public IReadOnlyDictionary<string, int> ValImagesPerClass { get; init; } = new Dictionary<string, int>();

    /// <summary>The stage whose probe did best (see <see cref="LayerProbe.Best"/>).</summary>
    public LayerProbe Best => LayerProbe.Best(Layers);

    /// <summary>The probe of <paramref name="layer"/>, or null when it was not probed.</summary>
    public LayerProbe? At(string layer) => Layers.FirstOrDefault(p => p.Layer == layer);
}
