using Graft.Backbones;
using Graft.Backbones.Onnx;
using Graft.Backbones.Torch;
using Graft.Data;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Graft.Tests;

public class TorchResNetTests
{
    static readonly Lazy<TorchResNet> Embedded =
        new(() => TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath));

    static float[][] RealImages()
    {
        var preprocessing = EmbeddedResNet18.Preprocessing;
        var paths = new[] { "ants", "bees" }
            .SelectMany(label => Directory.GetFiles(SharedData.Data($"hymenoptera_data/val/{label}"), "*.jpg")
                .Order().Take(3))
            .ToList();
        return paths.Select(path =>
        {
            var image = ImageDecoder.Decode(path, preprocessing.Resize);
            var input = new float[preprocessing.InputLength];
            preprocessing.ToTensor(image, input);
            return input;
        }).ToArray();
    }

    static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(pair => Math.Abs(pair.First - pair.Second));
    }

    [Fact]
    public void OnnxReaderSeesTheEmbeddedResNet18Graph()
    {
        var graph = OnnxGraph.Load(EmbeddedResNet18.ModelPath);

        Assert.Equal("CNTK 2.6", graph.Producer);
        Assert.Equal(8, graph.Opset);
        Assert.Equal(22, graph.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Equal(22, graph.Nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.Equal(110, graph.Initializers.Count);
        var stem = graph.Nodes.First(n => n.OpType == "Conv");
        Assert.Equal([64L, 3, 7, 7], graph.Initializers[stem.Inputs[1]].Dims);
        Assert.Equal([2L, 2], stem.Ints("strides", []));
        Assert.All(graph.Initializers.Values, t => Assert.Equal(t.ElementCount, t.Floats!.Length));
    }

    [Fact]
    public void EveryOnnxInitializerMapsToATorchVisionName()
    {
        var report = Embedded.Value.LoadReport!;

        Assert.Equal(110, report.Loaded.Count);
        Assert.Empty(report.Unexpected);
        Assert.Equal(["fc.bias", "fc.weight"], report.Missing.Order());
        Assert.Contains("layer4.2.conv1.weight", report.Loaded.Keys);
        Assert.Contains("layer2.0.downsample.1.running_var", report.Loaded.Keys);
        Assert.Equal(110, report.Loaded.Values.Distinct().Count());
    }

    [SharedDataFact]
    public void ChannelsLastAndThePrefixPathGiveThePlainForwardPassFeatures()
    {
        var inputs = RealImages();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = tensor(inputs.SelectMany(i => i).ToArray(), [inputs.Length, 3, 224, 224]);
        using var tuned = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        tuned.UnfreezeLastStages(1);
        tuned.UseChannelsLast();

        var plain = Embedded.Value.Features(images).data<float>().ToArray();
        var channelsLast = tuned.Features(images).data<float>().ToArray();
        var fromPrefix = tuned.FeaturesFromPrefix(tuned.Prefix(images, 3), 3, "layer4").data<float>().ToArray();

        Assert.InRange(MaxDifference(plain, channelsLast), 0f, 1e-4f);
        Assert.Equal(channelsLast, fromPrefix);
        var weights = tuned.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.False(weights["layer1.0.conv1.weight"].is_contiguous());
        Assert.True(weights["layer4.0.conv1.weight"].is_contiguous());
    }

    [SharedDataFact]
    public void PooledLayer4MatchesOnnxRuntimeOnRealImages()
    {
        var inputs = RealImages();
        using var onnx = EmbeddedResNet18.Open();
        using var torchSharp =
            new TorchFeatureExtractor(Embedded.Value, EmbeddedResNet18.Info, ownsNetwork: false);

        var batched = torchSharp.ExtractBatch(inputs);
        for (var i = 0; i < inputs.Length; i++)
        {
            var expected = onnx.Extract(inputs[i]);
            Assert.Equal(512, expected.Length);
            Assert.InRange(MaxDifference(expected, batched[i]), 0f, 1e-4f);
            Assert.InRange(MaxDifference(expected, torchSharp.Extract(inputs[i])), 0f, 1e-4f);
        }
    }

    [SharedDataTheory]
    [InlineData("layer2", 128)]
    [InlineData("layer3", 256)]
    public void IntermediateLayersArePooledPerChannel(string layer, int channels)
    {
        var inputs = RealImages().Take(2).ToArray();
        var backbone = EmbeddedResNet18.Info with { Layer = layer, FeatureDim = channels };
        using var extractor = new TorchFeatureExtractor(Embedded.Value, backbone, ownsNetwork: false);

        var features = extractor.ExtractBatch(inputs);

        Assert.All(features, f => Assert.Equal(channels, f.Length));
        Assert.All(features, f => Assert.True(f.All(v => v >= 0 && float.IsFinite(v)), "pooled ReLU outputs"));
        Assert.True(MaxDifference(features[0], features[1]) > 1e-3f, "different images, different features");
    }

    [Fact]
    public void UnfreezingTheLastStagesKeepsFrozenPartsInEvalMode()
    {
        using var resnet = TorchResNet.Create(TorchResNet.EmbeddedResNet18Blocks);
        Assert.All(resnet.Network.parameters(), p => Assert.False(p.requires_grad));

        resnet.UnfreezeLastStages(1);
        resnet.SetTraining(true);

        var children = resnet.Network.named_children().ToDictionary(c => c.name, c => c.module);
        var parameters = resnet.Network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.True(parameters["layer4.2.conv1.weight"].requires_grad);
        Assert.True(parameters["layer4.0.downsample.1.weight"].requires_grad);
        Assert.False(parameters["layer3.1.conv2.weight"].requires_grad);
        Assert.False(parameters["conv1.weight"].requires_grad);
        Assert.True(children["layer4"].training);
        Assert.False(children["layer3"].training);
        Assert.False(children["bn1"].training);

        resnet.SetTraining(false);
        Assert.False(children["layer4"].training);
    }

    [SharedDataFact]
    public void TorchVisionCheckpointReproducesPyTorch()
    {
        using var resnet = TorchResNet.FromTorchVisionCheckpoint(
            SharedData.Fixture("resnet18_random_dataparallel.pth"));
        using var scope = NewDisposeScope();
        var expected = PyTorchUnpickler.UnpickleStateDict(
            SharedData.Fixture("resnet18_random_dataparallel.expected.pth"));
        var input = (Tensor)expected["input"]!;

        Assert.Empty(resnet.LoadReport!.Missing);
        Assert.Empty(resnet.LoadReport.Unexpected);
        using (no_grad())
        {
            var pooled = resnet.Features(input);
            var logits = resnet.Logits(input);
            Assert.InRange((pooled - (Tensor)expected["pooled"]!).abs().max().item<float>(), 0f, 1e-4f);
            Assert.InRange((logits - (Tensor)expected["logits"]!).abs().max().item<float>(), 0f, 1e-4f);
        }
    }

    [SharedDataFact]
    public void ACheckpointWithAnotherClassifierLoadsEverythingElse()
    {
        using var resnet = TorchResNet.FromTorchVisionCheckpoint(
            SharedData.Fixture("resnet18_random_dataparallel.pth"), numClasses: 2);

        Assert.Equal(["fc.bias", "fc.weight"], resnet.LoadReport!.Missing.Order());
        Assert.Contains("layer4.1.bn2.running_mean", resnet.LoadReport.Loaded.Keys);
    }

    [Fact]
    public void AMismatchedCheckpointNamesTheKeys()
    {
        using var folder = new TempFolder();
        var path = folder.File("deeper.pth");
        using (var deeper = TorchResNet.Create(TorchResNet.EmbeddedResNet18Blocks))
            deeper.Network.save_py(path);

        var error = Assert.Throws<GraftException>(() => TorchResNet.FromTorchVisionCheckpoint(path));

        Assert.Contains("not in the network", error.Message);
        Assert.Contains("layer4.2.conv1.weight", error.Message);
        Assert.Contains("layer4.2.bn2.running_var", error.Message);
        Assert.Contains(path, error.Message);
    }
}
