using Graft.Backbones.Torch;
using static TorchSharp.torch;

namespace Graft.Backbones;

/// <summary>
/// Computes the features of one layer of a torchvision network with TorchSharp, in evaluation mode
/// and without gradients. Unlike <see cref="OnnxFeatureExtractor"/> it can stop at an earlier layer
/// (a ResNet's layer2 or layer3, a VGG's pool5), and gives several layers from one pass.
/// </summary>
public sealed class TorchFeatureExtractor : IFeatureExtractor
{
    readonly BackboneNetwork _network;
    readonly bool _ownsNetwork;
    readonly string _layer;
    readonly int _inputLength;
    readonly long[] _imageShape;

    /// <summary>Extracts <paramref name="backbone"/>'s layer from <paramref name="network"/>.</summary>
    /// <param name="network">The network; it is switched to evaluation mode.</param>
    /// <param name="backbone">Its description; <see cref="BackboneInfo.Layer"/> picks the layer.</param>
    /// <param name="ownsNetwork">True to dispose the network with this extractor.</param>
    public TorchFeatureExtractor(BackboneNetwork network, BackboneInfo backbone, bool ownsNetwork = true)
    {
        var channels = network.Architecture.FeatureDim(backbone.Layer);
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
        _network.Eval();
        // Measured for ResNets only (see TorchResNet.UseChannelsLast); the other families keep
        // TorchSharp's default layout.
        if (ownsNetwork && network is TorchResNet resnet)
            resnet.UseChannelsLast();
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

    /// <summary>
    /// <paramref name="architecture"/> with randomly initialized weights (seeded, so its features
    /// can be cached) and <paramref name="pretrained"/>'s layer and preprocessing: the baseline that
    /// shows what pretraining adds. Its id is the pretrained one's with <c>-random</c> appended.
    /// </summary>
    public static TorchFeatureExtractor OpenRandom(
        TorchVisionArchitecture architecture, BackboneInfo pretrained, int seed)
    {
        // The initializer's draws depend on TorchSharp's version, so the cache key follows it too.
        var torchSharp = typeof(TorchSharp.torch).Assembly.GetName().Version;
        var backbone = pretrained with
        {
            Id = pretrained.Id + "-random", Source = null,
            WeightsFingerprint = $"random-init:seed={seed}:torchsharp={torchSharp}",
        };
        TorchSharp.torch.random.manual_seed(seed);
        return new TorchFeatureExtractor(architecture.Create(), backbone);
    }

    /// <inheritdoc />
    public BackboneInfo Backbone { get; }

    /// <summary>The network features come from.</summary>
    public BackboneNetwork Network => _network;

    /// <inheritdoc />
    public float[] Extract(float[] input) => ExtractBatch([input])[0];

    /// <summary>Computes the features of several input tensors in one forward pass.</summary>
    public float[][] ExtractBatch(IReadOnlyList<float[]> inputs) =>
        inputs.Count == 0 ? [] : ExtractStages(inputs, [_layer])[_layer];

    /// <summary>
    /// Computes the features of each of <paramref name="layers"/> for several input tensors in
    /// one forward pass: layer name to one vector per input.
    /// </summary>
    public Dictionary<string, float[][]> ExtractStages(
        IReadOnlyList<float[]> inputs, IReadOnlyCollection<string> layers)
    {
        if (inputs.Count == 0)
            return layers.ToDictionary(layer => layer, _ => Array.Empty<float[]>());
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
        var stages = new Dictionary<string, float[][]>();
        foreach (var (layer, pooled) in _network.LayerFeatures(images, layers))
        {
            var features = pooled.contiguous().data<float>().ToArray();
            var dim = features.Length / inputs.Count;
            stages[layer] = Enumerable.Range(0, inputs.Count).Select(i => features.AsSpan(i * dim, dim).ToArray())
                .ToArray();
        }
        return stages;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsNetwork)
            _network.Dispose();
    }
}
