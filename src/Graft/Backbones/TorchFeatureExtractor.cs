using Graft.Backbones.Torch;
using static TorchSharp.torch;

namespace Graft.Backbones;

/// <summary>
/// Computes pooled features of one ResNet stage with TorchSharp, in evaluation mode and without
/// gradients. Unlike <see cref="OnnxFeatureExtractor"/> it can stop at layer2 or layer3, and the
/// same network can later be fine-tuned.
/// </summary>
public sealed class TorchFeatureExtractor : IFeatureExtractor
{
    readonly TorchResNet _network;
    readonly bool _ownsNetwork;
    readonly string _layer;
    readonly int _inputLength;
    readonly long[] _imageShape;

    /// <summary>Extracts <paramref name="backbone"/>'s layer from <paramref name="network"/>.</summary>
    /// <param name="network">The network; it is switched to evaluation mode.</param>
    /// <param name="backbone">Its description; <see cref="BackboneInfo.Layer"/> picks the stage.</param>
    /// <param name="ownsNetwork">True to dispose the network with this extractor.</param>
    public TorchFeatureExtractor(TorchResNet network, BackboneInfo backbone, bool ownsNetwork = true)
    {
        var channels = TorchResNet.Channels(backbone.Layer);
        if (channels != backbone.FeatureDim)
            throw new ArgumentException(
                $"{backbone.Layer} gives {channels} features, but the backbone says {backbone.FeatureDim}",
                nameof(backbone));

        _network = network;
        _ownsNetwork = ownsNetwork;
        _layer = backbone.Layer;
        Backbone = backbone;
        var crop = backbone.Preprocessing.Resize.Crop;
        _inputLength = backbone.Preprocessing.InputLength;
        _imageShape = [3, crop, crop];
        _network.SetTraining(false);
    }

    /// <summary>
    /// The embedded ResNet-18 rebuilt in TorchSharp from its ONNX file, giving the pooled features
    /// of <paramref name="layer"/> (layer1 to layer4).
    /// </summary>
    public static TorchFeatureExtractor OpenEmbeddedResNet18(string layer = EmbeddedResNet18.TopLayer)
    {
        // Info explains where the ONNX file should be when it is missing.
        var backbone = EmbeddedResNet18.Info with { Layer = layer, FeatureDim = TorchResNet.Channels(layer) };
        return new TorchFeatureExtractor(TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath), backbone);
    }

    /// <inheritdoc />
    public BackboneInfo Backbone { get; }

    /// <summary>The network features come from.</summary>
    public TorchResNet Network => _network;

    /// <inheritdoc />
    public float[] Extract(float[] input) => ExtractBatch([input])[0];

    /// <summary>Computes the features of several input tensors in one forward pass.</summary>
    public float[][] ExtractBatch(IReadOnlyList<float[]> inputs)
    {
        if (inputs.Count == 0)
            return [];
        var batch = new float[inputs.Count * _inputLength];
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Length != _inputLength)
                throw new ArgumentException(
                    $"input {i} holds {inputs[i].Length} floats; {Backbone.Id} needs {_inputLength} " +
                    $"(3x{_imageShape[1]}x{_imageShape[2]})", nameof(inputs));
            inputs[i].CopyTo(batch, i * _inputLength);
        }

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = tensor(batch, [inputs.Count, .. _imageShape]);
        var features = _network.Features(images, _layer).contiguous().data<float>().ToArray();
        var dim = features.Length / inputs.Count;
        return Enumerable.Range(0, inputs.Count).Select(i => features.AsSpan(i * dim, dim).ToArray()).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsNetwork)
            _network.Dispose();
    }
}
