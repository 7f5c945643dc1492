using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// VGG, AlexNet or MobileNetV2 from TorchSharp's TorchVision: a <c>features</c> sequence of
/// convolutions, a pooling, and a <c>classifier</c> sequence. Features are taken after the
/// max-pooling steps of <c>features</c> (averaged over the image), after the classifier's ReLUs, or,
/// for MobileNetV2, from the whole of <c>features</c> averaged over the image; see
/// <see cref="TorchVisionArchitecture"/> for the layer names.
/// </summary>
public sealed class TorchConvNet : BackboneNetwork
{
    readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _features;
    readonly nn.Module<Tensor, Tensor>? _pool;
    readonly IReadOnlyList<nn.Module<Tensor, Tensor>> _classifier;

    // Where each layer's features are taken: after this step of features, or of the classifier.
    readonly Dictionary<int, string> _afterFeatureStep = new();
    readonly Dictionary<int, string> _afterClassifierStep = new();

    TorchConvNet(TorchVisionArchitecture architecture, nn.Module<Tensor, Tensor> module)
        : base(architecture, module)
    {
        var children = module.named_children().ToDictionary(c => c.name, c => c.module);
        _features = Steps(children, "features");
        _classifier = Steps(children, "classifier");
        _pool = children.GetValueOrDefault("avgpool") as nn.Module<Tensor, Tensor>;

        if (architecture.Family == "mobilenet_v2")
            _afterFeatureStep[_features.Count - 1] = "features";
        else
        {
            MapLayers(architecture, "pool", _features, step => step is TorchSharp.Modules.MaxPool2d,
                _afterFeatureStep);
            MapLayers(architecture, "fc", _classifier, step => step is TorchSharp.Modules.ReLU,
                _afterClassifierStep);
        }

        foreach (var parameter in module.parameters())
            parameter.requires_grad = false;
        module.eval();
    }

    /// <summary>Builds <paramref name="architecture"/> (VGG, AlexNet or MobileNetV2) with TorchVision.</summary>
    internal static BackboneNetwork Build(TorchVisionArchitecture architecture)
    {
        nn.Module<Tensor, Tensor> module = architecture.Name switch
        {
            "vgg11" => torchvision.models.vgg11(),
            "vgg11_bn" => torchvision.models.vgg11_bn(),
            "vgg13" => torchvision.models.vgg13(),
            "vgg13_bn" => torchvision.models.vgg13_bn(),
            "vgg16" => torchvision.models.vgg16(),
            "vgg16_bn" => torchvision.models.vgg16_bn(),
            "vgg19" => torchvision.models.vgg19(),
            "vgg19_bn" => torchvision.models.vgg19_bn(),
            "alexnet" => torchvision.models.alexnet(),
            "mobilenet_v2" => torchvision.models.mobilenet_v2(),
            _ => throw new ArgumentException($"{architecture.Name} is not built by {nameof(TorchConvNet)}",
                nameof(architecture)),
        };
        try
        {
            return new TorchConvNet(architecture, module);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override Dictionary<string, Tensor> LayerFeatures(
        Tensor images, IReadOnlyCollection<string> layers)
    {
        RequireImages(images);
        RequireLayers(layers);
        var wanted = layers.ToHashSet();
        var taken = new Dictionary<string, Tensor>();
        if (wanted.Count == 0)
            return taken;

        using var scope = NewDisposeScope();
        var x = images;
        for (var i = 0; i < _features.Count && taken.Count < wanted.Count; i++)
        {
            x = _features[i].call(x);
            if (_afterFeatureStep.TryGetValue(i, out var layer) && wanted.Contains(layer))
                taken[layer] = scope.MoveToOuter(x.mean([2, 3]));
        }
        if (taken.Count == wanted.Count)
            return taken;

        x = (_pool is null ? x : _pool.call(x)).flatten(1);
        for (var i = 0; i < _classifier.Count && taken.Count < wanted.Count; i++)
        {
            x = _classifier[i].call(x);
            // The next ReLU works in place, but on the next Linear's new output, not on this one.
            if (_afterClassifierStep.TryGetValue(i, out var layer) && wanted.Contains(layer))
                taken[layer] = scope.MoveToOuter(x.clone());
        }
        return taken;
    }

    static List<nn.Module<Tensor, Tensor>> Steps(Dictionary<string, nn.Module> children, string name)
    {
        if (!children.TryGetValue(name, out var sequence))
            throw new InvalidOperationException(
                $"TorchVision's network has no submodule named {name}; it has " +
                $"{string.Join(", ", children.Keys)} (a TorchVision version Graft does not know)");
        return sequence.named_children().Select(c => (nn.Module<Tensor, Tensor>)c.module).ToList();
    }

    // Matches the architecture's layers with the given prefix (pool1, pool2, ...; fc6, fc7) to the
    // steps that end them, in order.
    static void MapLayers(TorchVisionArchitecture architecture, string prefix,
        IReadOnlyList<nn.Module<Tensor, Tensor>> steps, Func<nn.Module, bool> endsLayer,
        Dictionary<int, string> map)
    {
        var names = architecture.Layers.Where(l => l.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var ends = Enumerable.Range(0, steps.Count).Where(i => endsLayer(steps[i])).ToList();
        if (ends.Count != names.Count)
            throw new InvalidOperationException(
                $"{architecture.Name}: expected {names.Count} steps for {string.Join(", ", names)}, found " +
                $"{ends.Count} (a TorchVision version Graft does not know)");
        for (var k = 0; k < names.Count; k++)
            map[ends[k]] = names[k];
    }
}
