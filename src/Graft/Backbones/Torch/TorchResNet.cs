using Graft.Backbones.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Graft.Backbones.Torch;

/// <summary>
/// A ResNet in TorchSharp, laid out exactly like torchvision's (state_dict keys such as
/// <c>layer4.1.conv2.weight</c>): basic-block ResNets of any depth built with Graft's own block,
/// bottleneck ones (resnet50/101/152, ResNeXt, wide ResNets) with TorchVision's builders. Its
/// weights come from the embedded ResNet-18's ONNX file or from a torchvision checkpoint. It gives
/// globally average-pooled features from any stage and can be partly unfrozen for fine-tuning.
/// </summary>
/// <remarks>
/// The embedded ResNet-18 has [2, 2, 2, 3] blocks per stage and carries no classifier, so a
/// network built from it has a randomly initialized <c>fc</c> and its <see cref="Logits"/> mean nothing.
/// </remarks>
public sealed class TorchResNet : BackboneNetwork
{
    /// <summary>Names of the four stages, shallow to deep, as torchvision names them.</summary>
    public static readonly IReadOnlyList<string> StageNames = ["layer1", "layer2", "layer3", "layer4"];

    /// <summary>Blocks per stage of the embedded (CNTK) ResNet-18.</summary>
    public static readonly IReadOnlyList<int> EmbeddedResNet18Blocks = [2, 2, 2, 3];

    /// <summary>Blocks per stage of torchvision's resnet18.</summary>
    public static readonly IReadOnlyList<int> TorchVisionResNet18Blocks = [2, 2, 2, 2];

    static readonly string[] StemNames = ["conv1", "bn1", "relu", "maxpool"];

    readonly Dictionary<string, nn.Module<Tensor, Tensor>> _children;
    int _trainableStages;

    TorchResNet(
        TorchVisionArchitecture architecture, TorchSharp.Modules.ResNet network, IReadOnlyList<int> blocks)
        : base(architecture, network)
    {
        Network = network;
        BlocksPerStage = blocks;
        _children = network.named_children()
            .Where(child => child.module is nn.Module<Tensor, Tensor>)
            .ToDictionary(child => child.name, child => (nn.Module<Tensor, Tensor>)child.module);
        var absent = StemNames.Concat(StageNames).Where(name => !_children.ContainsKey(name)).ToList();
        if (absent.Count > 0)
            throw new InvalidOperationException(
                $"TorchVision's ResNet has no submodule named {string.Join(", ", absent)}; " +
                $"it has {string.Join(", ", _children.Keys)} (a TorchVision version Graft does not know)");
        Freeze();
        SetTraining(false);
    }

    /// <summary>
    /// The whole network as a TorchSharp module (torchvision's ResNet, <c>fc</c> included), for
    /// saving, moving to a device, or building a fine-tuning model around.
    /// </summary>
    public TorchSharp.Modules.ResNet Network { get; }

    /// <summary>Number of blocks in each of the four stages.</summary>
    public IReadOnlyList<int> BlocksPerStage { get; }

    /// <summary>Whether convolution weights and inputs are laid out channels-last (see <see cref="UseChannelsLast"/>).</summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>How many of the last stages have trainable parameters (0: all frozen).</summary>
    public int TrainableStages => _trainableStages;

    /// <summary>A randomly initialized basic-block network with the given blocks per stage.</summary>
    public static TorchResNet Create(IReadOnlyList<int> blocksPerStage, int numClasses = 1000) =>
        Build(TorchVisionArchitecture.ResNet(blocksPerStage), blocksPerStage.ToArray(), bottleneck: false,
            groups: 1, widthPerGroup: 64, numClasses);

    /// <summary>Builds what <see cref="TorchVisionArchitecture.ResNet"/> described.</summary>
    internal static TorchResNet Build(TorchVisionArchitecture architecture, int[] blocks, bool bottleneck,
        int groups, int widthPerGroup, int numClasses = 1000)
    {
        if (blocks.Length != 4 || blocks.Any(b => b < 1))
            throw new ArgumentException(
                $"a ResNet needs four stages of at least one block; got [{string.Join(", ", blocks)}]",
                nameof(blocks));

        var network = bottleneck
            ? BottleneckNetwork(blocks, groups, widthPerGroup, numClasses)
            : new TorchSharp.Modules.ResNet(
                $"ResNet[{string.Join(",", blocks)}]",
                (inPlanes, planes, stride, downsample, g, baseWidth, dilation, normLayer) =>
                {
                    if (g != 1 || baseWidth != 64 || dilation != 1)
                        throw new NotSupportedException(
                            $"basic blocks support groups=1, width 64 and no dilation; got groups={g}, " +
                            $"width={baseWidth}, dilation={dilation}");
                    return new ResNetBlock(inPlanes, planes, stride, downsample, normLayer);
                },
                expansion: 1, blocks, numClasses);
        return new TorchResNet(architecture, network, blocks);
    }

    // TorchVision's bottleneck block is internal to its ResNet, so only its builders make one.
    static TorchSharp.Modules.ResNet BottleneckNetwork(int[] blocks, int groups, int width, int numClasses)
    {
        var depth = blocks.Sum() * 3 + 2;
        if (!blocks.SequenceEqual(TorchVisionArchitecture.BottleneckBlocks(depth)))
            throw new GraftException(
                $"a bottleneck ResNet with [{string.Join(", ", blocks)}] blocks per stage is not one of " +
                "TorchVision's (50: [3, 4, 6, 3], 101: [3, 4, 23, 3], 152: [3, 8, 36, 3])");
        return depth switch
        {
            50 => torchvision.models.resnet50(numClasses, groups: groups, width_per_group: width),
            101 => torchvision.models.resnet101(numClasses, groups: groups, width_per_group: width),
            _ => torchvision.models.resnet152(numClasses, groups: groups, width_per_group: width),
        };
    }

    /// <summary>
    /// Builds the embedded ResNet-18 from the initializers of its ONNX file (see
    /// <see cref="EmbeddedResNet18.ModelPath"/>). It expects <see cref="EmbeddedResNet18.Preprocessing"/>.
    /// </summary>
    /// <exception cref="GraftException">The file's graph does not have the expected layout.</exception>
    public static TorchResNet FromEmbeddedOnnx(string onnxPath)
    {
        var graph = OnnxGraph.Load(onnxPath);
        var resnet = Create(EmbeddedResNet18Blocks);
        try
        {
            resnet.LoadReport = OnnxResNetWeights.CopyInto(resnet, graph, onnxPath);
            return resnet;
        }
        catch
        {
            resnet.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds a basic-block ResNet from a torchvision state_dict saved with <c>torch.save</c>. A
    /// <c>module.</c> prefix (from DataParallel) is removed; keys that differ outside the classifier
    /// <c>fc.</c> are an error that names them.
    /// </summary>
    /// <param name="path">The .pth file.</param>
    /// <param name="blocksPerStage">Blocks per stage; torchvision's resnet18 by default.</param>
    /// <param name="numClasses">Outputs of <c>fc</c>; its weights are loaded only when their shape fits.</param>
    /// <exception cref="GraftException">The checkpoint does not fit the architecture.</exception>
    public static TorchResNet FromTorchVisionCheckpoint(
        string path, IReadOnlyList<int>? blocksPerStage = null, int numClasses = 1000)
    {
        var resnet = Create(blocksPerStage ?? TorchVisionResNet18Blocks, numClasses);
        try
        {
            using var file = StateDictFile.Open(path);
            resnet.LoadReport = TorchVisionCheckpoint.CopyInto(resnet, file);
            return resnet;
        }
        catch
        {
            resnet.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Channels of the features a stage of a basic-block ResNet gives (bottleneck ones give four
    /// times as many; see <see cref="TorchVisionArchitecture.FeatureDim"/>).
    /// </summary>
    public static int Channels(string layer) => 64 << StageIndex(layer);

    /// <summary>
    /// Runs the network up to <paramref name="layer"/> and averages each channel over the image:
    /// [N, 3, H, W] in, [N, channels] out. Gradients flow when the caller allows them.
    /// </summary>
    public Tensor Features(Tensor input, string layer = EmbeddedResNet18.TopLayer)
    {
        RequireImages(input);
        using var scope = NewDisposeScope();
        var x = RunStages(RunStem(input), 0, StageIndex(layer));
        return scope.MoveToOuter(x.mean([2, 3]));
    }

    /// <summary>
    /// The activations after the stem and the stages before <paramref name="firstStage"/> (0: after
    /// the stem alone). Whatever the network learns in those stages' successors, these stay the same
    /// for a given image while they are frozen, so they can be computed once and reused.
    /// </summary>
    public Tensor Prefix(Tensor input, int firstStage)
    {
        RequireImages(input);
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(RunStages(RunStem(input), 0, firstStage - 1));
    }

    /// <summary>
    /// Goes on from <see cref="Prefix"/>'s output: runs stages <paramref name="firstStage"/> up to
    /// <paramref name="layer"/> and pools, exactly as <see cref="Features"/> would from the image.
    /// </summary>
    public Tensor FeaturesFromPrefix(Tensor prefix, int firstStage, string layer)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(RunStages(prefix, firstStage, StageIndex(layer)).mean([2, 3]));
    }

    Tensor RunStem(Tensor input)
    {
        var x = ChannelsLast ? ToChannelsLast(input) : input;
        foreach (var name in StemNames)
            x = _children[name].call(x);
        return x;
    }

    Tensor RunStages(Tensor x, int first, int last)
    {
        for (var stage = first; stage <= last; stage++)
            x = _children[StageNames[stage]].call(x);
        return x;
    }

    /// <summary>
    /// Runs the network once up to the deepest of <paramref name="layers"/> and returns each one's
    /// pooled features, [N, channels], so several stages cost a single forward pass.
    /// </summary>
    public Dictionary<string, Tensor> StageFeatures(Tensor input, IReadOnlyCollection<string> layers)
    {
        RequireImages(input);
        var last = layers.Count == 0 ? -1 : layers.Max(StageIndex);

        using var scope = NewDisposeScope();
        var pooled = new Dictionary<string, Tensor>();
        var x = RunStem(input);
        for (var stage = 0; stage <= last; stage++)
        {
            x = _children[StageNames[stage]].call(x);
            if (layers.Contains(StageNames[stage]))
                pooled[StageNames[stage]] = scope.MoveToOuter(x.mean([2, 3]));
        }
        return pooled;
    }

    /// <inheritdoc />
    public override Dictionary<string, Tensor> LayerFeatures(
        Tensor images, IReadOnlyCollection<string> layers) => StageFeatures(images, layers);

    /// <inheritdoc />
    public override void Eval() => SetTraining(false);

    /// <summary>The classifier's output, [N, classes].</summary>
    public Tensor Logits(Tensor input) => Network.call(input);

    /// <summary>
    /// Stores the frozen convolution weights channels-last (NHWC in memory, NCHW in shape) and
    /// feeds inputs the same way, so oneDNN convolves without converting activations before and
    /// after each layer. Values, names and shapes are unchanged. Trainable weights keep their
    /// layout (an optimizer's saved state must be contiguous), so call it after unfreezing and
    /// before making an optimizer.
    /// </summary>
    public void UseChannelsLast()
    {
        if (ChannelsLast)
            return;
        using var noGrad = no_grad();
        foreach (var conv in Network.modules().OfType<TorchSharp.Modules.Conv2d>())
        {
            var weight = conv.weight!;
            if (weight.requires_grad)
                continue;
            conv.weight = new TorchSharp.Modules.Parameter(ToChannelsLast(weight.detach()), weight.requires_grad);
            weight.Dispose();
        }
        ChannelsLast = true;
    }

    /// <summary>The same [N, C, H, W] values stored with the channels innermost.</summary>
    public static Tensor ToChannelsLast(Tensor input) => input.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Makes every parameter untrainable.</summary>
    public void Freeze() => UnfreezeLastStages(0);

    /// <summary>
    /// Makes the parameters of the last <paramref name="count"/> stages trainable and freezes the
    /// rest (the stem always, and <c>fc</c>, which Graft replaces with its own head).
    /// </summary>
    public void UnfreezeLastStages(int count)
    {
        if (count < 0 || count > StageNames.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, "stages to unfreeze go from 0 to 4");

        _trainableStages = count;
        foreach (var (name, parameter) in Network.named_parameters())
            parameter.requires_grad = IsTrainable(name);
    }

    /// <summary>
    /// Training mode for the unfrozen stages, evaluation mode for everything else: frozen batch
    /// norms keep using their running statistics, so freezing really means unchanged outputs.
    /// </summary>
    public void SetTraining(bool training)
    {
        Network.eval();
        if (!training)
            return;
        foreach (var stage in StageNames.Skip(StageNames.Count - _trainableStages))
            _children[stage].train();
    }

    bool IsTrainable(string parameterName)
    {
        var stage = parameterName.Split('.')[0];
        var index = StageNames.ToList().IndexOf(stage);
        return index >= 0 && index >= StageNames.Count - _trainableStages;
    }

    static int StageIndex(string layer)
    {
        var index = StageNames.ToList().IndexOf(layer);
        if (index < 0)
            throw new ArgumentException(
                $"layer '{layer}' is not a ResNet stage (use one of {string.Join(", ", StageNames)})",
                nameof(layer));
        return index;
    }
}
