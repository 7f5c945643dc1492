namespace Graft.Backbones.Torch;

/// <summary>
/// One of torchvision's classification networks as TorchSharp's TorchVision package builds it
/// (same module tree, so the same state_dict names): the layers whose pooled outputs Graft can use
/// as features, the one used by default, and the classifier that Graft's head replaces.
/// </summary>
/// <remarks>
/// Layers, shallow to deep. ResNets: <c>layer1</c> to <c>layer4</c>, each stage's output averaged
/// over the image (layer4 is 512 wide with basic blocks, 2048 with bottlenecks). VGG and AlexNet:
/// <c>poolN</c>, the output of a max-pooling stage of <c>features</c> averaged over the image, and
/// <c>fc6</c> and <c>fc7</c>, the outputs of the classifier's first and second ReLU (4096 each;
/// fc7 is what torchvision users keep when they replace <c>classifier.6</c>). MobileNetV2:
/// <c>features</c>, the 1280 channels of its last convolution averaged over the image, which is
/// what its classifier reads.
/// </remarks>
public sealed class TorchVisionArchitecture
{
    static readonly string[] ResNetStages = ["layer1", "layer2", "layer3", "layer4"];

    readonly IReadOnlyDictionary<string, int> _dims;
    readonly Func<TorchVisionArchitecture, BackboneNetwork> _create;

    TorchVisionArchitecture(string name, string family, string classifier,
        IReadOnlyList<(string Layer, int Dim)> layers, string defaultLayer,
        Func<TorchVisionArchitecture, BackboneNetwork> create)
    {
        Name = name;
        Family = family;
        Classifier = classifier;
        Layers = layers.Select(l => l.Layer).ToList();
        _dims = layers.ToDictionary(l => l.Layer, l => l.Dim);
        DefaultLayer = defaultLayer;
        _create = create;
    }

    /// <summary>torchvision's name for it, such as <c>resnet50</c> or <c>vgg16_bn</c>.</summary>
    public string Name { get; }

    /// <summary><c>resnet</c>, <c>vgg</c>, <c>alexnet</c> or <c>mobilenet_v2</c>.</summary>
    public string Family { get; }

    /// <summary>The module a Graft head replaces: <c>fc</c>, <c>classifier.6</c> or <c>classifier.1</c>.</summary>
    public string Classifier { get; }

    /// <summary>The layers that give features, shallow to deep.</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>The layer used when none is asked for: the one the classifier reads.</summary>
    public string DefaultLayer { get; }

    /// <summary>The layers a probe compares when none are asked for: the last three.</summary>
    public IReadOnlyList<string> ProbeLayers => Layers.Skip(Math.Max(0, Layers.Count - 3)).ToList();

    /// <summary>Length of the features <paramref name="layer"/> gives.</summary>
    /// <exception cref="GraftException"><paramref name="layer"/> is not one of <see cref="Layers"/>.</exception>
    public int FeatureDim(string layer) =>
        _dims.TryGetValue(layer, out var dim)
            ? dim
            : throw new GraftException($"layer '{layer}': {Name} has {string.Join(", ", Layers)}");

    /// <summary>True when the state_dict name <paramref name="key"/> belongs to <see cref="Classifier"/>.</summary>
    public bool IsClassifier(string key) => key.StartsWith(Classifier + ".", StringComparison.Ordinal);

    /// <summary>
    /// Builds the network with TorchVision's initialization, drawn from torch's global generator
    /// (seed it first for a reproducible network); frozen and in evaluation mode.
    /// </summary>
    public BackboneNetwork Create() => _create(this);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// A ResNet with <paramref name="blocksPerStage"/>: basic blocks of any depth (Graft's own block),
    /// or bottleneck blocks of TorchVision's three depths (50, 101, 152), with
    /// <paramref name="groups"/> and <paramref name="widthPerGroup"/> for ResNeXt and wide ResNets.
    /// </summary>
    public static TorchVisionArchitecture ResNet(
        IReadOnlyList<int> blocksPerStage, bool bottleneck = false, int groups = 1, int widthPerGroup = 64)
    {
        var blocks = blocksPerStage.ToArray();
        var expansion = bottleneck ? 4 : 1;
        var layers = ResNetStages.Select((stage, i) => (stage, (64 << i) * expansion)).ToList();
        return new TorchVisionArchitecture(
            ResNetName(blocks, bottleneck, groups, widthPerGroup), "resnet", "fc", layers, "layer4",
            architecture => TorchResNet.Build(architecture, blocks, bottleneck, groups, widthPerGroup));
    }

    /// <summary>VGG with 11, 13, 16 or 19 weight layers, with or without batch norm.</summary>
    public static TorchVisionArchitecture Vgg(int depth, bool batchNorm)
    {
        if (depth is not (11 or 13 or 16 or 19))
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "VGG has 11, 13, 16 or 19 layers");
        (string, int)[] layers =
        [
            ("pool1", 64), ("pool2", 128), ("pool3", 256), ("pool4", 512), ("pool5", 512),
            ("fc6", 4096), ("fc7", 4096),
        ];
        return new TorchVisionArchitecture(
            $"vgg{depth}{(batchNorm ? "_bn" : "")}", "vgg", "classifier.6", layers, "fc7", TorchConvNet.Build);
    }

    /// <summary>AlexNet as torchvision builds it (64, 192, 384, 256, 256 channels).</summary>
    public static TorchVisionArchitecture AlexNet { get; } = new(
        "alexnet", "alexnet", "classifier.6",
        [("pool1", 64), ("pool2", 192), ("pool5", 256), ("fc6", 4096), ("fc7", 4096)], "fc7", TorchConvNet.Build);

    /// <summary>MobileNetV2 at width 1.0.</summary>
    public static TorchVisionArchitecture MobileNetV2 { get; } = new(
        "mobilenet_v2", "mobilenet_v2", "classifier.1", [("features", 1280)], "features", TorchConvNet.Build);

    /// <summary>The architectures torchvision publishes ImageNet weights for that Graft can load.</summary>
    public static IReadOnlyList<TorchVisionArchitecture> Known { get; } =
    [
        ResNet([2, 2, 2, 2]), ResNet([3, 4, 6, 3]),
        ResNet([3, 4, 6, 3], bottleneck: true), ResNet([3, 4, 23, 3], bottleneck: true),
        ResNet([3, 8, 36, 3], bottleneck: true),
        ResNet([3, 4, 6, 3], bottleneck: true, groups: 32, widthPerGroup: 4),
        ResNet([3, 4, 23, 3], bottleneck: true, groups: 32, widthPerGroup: 8),
        ResNet([3, 4, 23, 3], bottleneck: true, groups: 64, widthPerGroup: 4),
        ResNet([3, 4, 6, 3], bottleneck: true, widthPerGroup: 128),
        ResNet([3, 4, 23, 3], bottleneck: true, widthPerGroup: 128),
        Vgg(11, false), Vgg(11, true), Vgg(13, false), Vgg(13, true),
        Vgg(16, false), Vgg(16, true), Vgg(19, false), Vgg(19, true),
        AlexNet, MobileNetV2,
    ];

    /// <summary>The known architecture called <paramref name="name"/> (torchvision's name), or null.</summary>
    public static TorchVisionArchitecture? Find(string name) => Known.FirstOrDefault(a => a.Name == name);

    static string ResNetName(int[] blocks, bool bottleneck, int groups, int widthPerGroup)
    {
        var depth = blocks.Sum() * (bottleneck ? 3 : 2) + 2;
        var standard = bottleneck
            ? depth is 50 or 101 or 152 && blocks.SequenceEqual(BottleneckBlocks(depth))
            : (depth is 18 && blocks.SequenceEqual([2, 2, 2, 2]))
              || (depth is 34 && blocks.SequenceEqual([3, 4, 6, 3]));
        if (!standard)
            return $"resnet[{string.Join(",", blocks)}]{(bottleneck ? "-bottleneck" : "")}";
        return (groups, widthPerGroup) switch
        {
            (1, 64) => $"resnet{depth}",
            (1, 128) => $"wide_resnet{depth}_2",
            (1, var width) => $"wide_resnet{depth}_{width / 64.0:0.##}",
            var (g, w) => $"resnext{depth}_{g}x{w}d",
        };
    }

    /// <summary>Blocks per stage of TorchVision's bottleneck ResNets, by depth.</summary>
    internal static int[] BottleneckBlocks(int depth) => depth switch
    {
        50 => [3, 4, 6, 3],
        101 => [3, 4, 23, 3],
        152 => [3, 8, 36, 3],
        _ => [],
    };
}
