using Graft.Backbones.Torch;
using Graft.Models;
using Microsoft.Extensions.Logging;

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
        if (backbone.Source is not null)
            return IsOnnx(backbone.Source)
                ? OnnxImageBackbone.Open(backbone)
                : TorchVisionBackbone.Open(backbone);

        if (backbone.Id == EmbeddedResNet18.Id && backbone.Layer == EmbeddedResNet18.TopLayer)
        {
            RequireSameWeights(backbone);
            return new OnnxFeatureExtractor(EmbeddedResNet18.ModelPath, backbone);
        }

        // Earlier stages are not outputs of the ONNX graph, so TorchSharp rebuilds the network.
        if (backbone.Id == EmbeddedResNet18.Id && TorchResNet.StageNames.Contains(backbone.Layer))
        {
            RequireSameWeights(backbone);
            var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
            return new TorchFeatureExtractor(network, backbone);
        }
        throw new GraftException(
            $"backbone '{backbone.Id}' at layer '{backbone.Layer}' is not available in this Graft " +
            $"(available: {EmbeddedResNet18.Id} at {string.Join(", ", TorchResNet.StageNames)})");
    }

    /// <summary>
    /// Opens the embedded ResNet-18 at <paramref name="layer"/>: ONNX Runtime for layer4 (faster),
    /// TorchSharp for the earlier stages, which the ONNX graph does not expose.
    /// </summary>
    public static IFeatureExtractor OpenEmbedded(string layer)
    {
        if (!TorchResNet.StageNames.Contains(layer))
            throw new GraftException(
                $"--layer '{layer}': use one of {string.Join(", ", TorchResNet.StageNames)}");
        return layer == EmbeddedResNet18.TopLayer
            ? EmbeddedResNet18.Open()
            : TorchFeatureExtractor.OpenEmbeddedResNet18(layer);
    }

    /// <summary>
    /// Opens what a <c>--backbone</c> value names, at <paramref name="layer"/> (null: the
    /// backbone's default layer): <c>resnet18</c> (the embedded one); a torchvision checkpoint
    /// given as a path, as a file name in <paramref name="checkpointsDir"/> (default: PyTorch's hub
    /// folder), or as an architecture name whose published file is there; or an ONNX image model,
    /// used as <paramref name="onnx"/> says.
    /// </summary>
    /// <exception cref="GraftException">The value names nothing Graft can open.</exception>
    public static IFeatureExtractor OpenSpec(string spec, string? layer, string? checkpointsDir = null,
        ImageModelOptions? onnx = null, ILogger? logger = null)
    {
        if (spec == EmbeddedResNet18.Id)
            return OpenEmbedded(layer ?? EmbeddedResNet18.TopLayer);
        if (IsOnnx(spec))
        {
            if (layer is not null && layer != EmbeddedResNet18.TopLayer)
                throw new GraftException(
                    $"--layer {layer} picks a layer of a torchvision backbone; for the ONNX model {spec} " +
                    "name an output with --output");
            return OnnxImageBackbone.Open(OnnxImageBackbone.Describe(spec, onnx ?? new ImageModelOptions()));
        }
        return TorchVisionBackbone.Open(TorchVisionBackbone.Locate(spec, checkpointsDir), layer, logger);
    }

    /// <summary>
    /// Opens what a <c>--backbone</c> value names as a TorchSharp network, which gives any of its
    /// layers from one pass (what <c>graft probe</c> and <c>graft advise</c> need).
    /// </summary>
    /// <exception cref="GraftException">The value names an ONNX model, or nothing Graft can open.</exception>
    public static TorchFeatureExtractor OpenTorch(
        string spec, string? checkpointsDir = null, ILogger? logger = null)
    {
        if (spec == EmbeddedResNet18.Id)
            return TorchFeatureExtractor.OpenEmbeddedResNet18();
        if (IsOnnx(spec))
            throw new GraftException(
                $"--backbone {spec}: an ONNX model gives one output, so it has no layers to compare; give " +
                "resnet18 or a torchvision checkpoint");
        return TorchVisionBackbone.Open(TorchVisionBackbone.Locate(spec, checkpointsDir), null, logger);
    }

    internal static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    static void RequireSameWeights(BackboneInfo backbone)
    {
        var current = EmbeddedResNet18.Info;
        if (current.WeightsFingerprint != backbone.WeightsFingerprint)
            throw new GraftException(
                $"the model was trained on backbone weights '{backbone.WeightsFingerprint}', but this Graft has " +
                $"'{current.WeightsFingerprint}'; train the model again with this Graft");
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
