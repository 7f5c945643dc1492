using Graft.Backbones.Torch;
using Graft.Models;

namespace Graft.Backbones;

/// <summary>Opens the feature extractor a backbone description names.</summary>
public static class BackboneCatalog
{
    /// <summary>
    /// Opens an extractor that reproduces <paramref name="backbone"/>, using the preprocessing the
    /// description carries (so a saved model is fed exactly as it was trained).
    /// </summary>
    public static IFeatureExtractor Open(BackboneInfo backbone)
    {
        if (backbone.Id == EmbeddedResNet18.Id && backbone.Layer == EmbeddedResNet18.TopLayer)
        {
            var current = EmbeddedResNet18.Info;
            if (current.WeightsFingerprint != backbone.WeightsFingerprint)
                throw new GraftException(
                    $"the model was trained on backbone weights '{backbone.WeightsFingerprint}', but this Graft has " +
                    $"'{current.WeightsFingerprint}'; train the model again with this Graft");
            return new OnnxFeatureExtractor(EmbeddedResNet18.ModelPath, backbone);
        }
        throw new GraftException(
            $"backbone '{backbone.Id}' at layer '{backbone.Layer}' is not available in this Graft " +
            $"(available: {EmbeddedResNet18.Id}/{EmbeddedResNet18.TopLayer})");
    }

    /// <summary>
    /// Opens the extractor of a saved model: from its stored backbone weights when it was
    /// fine-tuned (always run in eval mode), else as <see cref="Open(BackboneInfo)"/>.
    /// </summary>
    public static IFeatureExtractor Open(BackboneInfo backbone, IReadOnlyDictionary<string, NamedTensor> weights)
    {
        if (weights.Count == 0)
            return Open(backbone);
        return new TorchFeatureExtractor(StoredResNetWeights.Load(weights), backbone);
    }
}
