using System.Text.Json;
using Graft.Backbones;
using Graft.Backbones.Torch;
using Graft.Data;
using Graft.Heads;
using Graft.Models;
using Graft.Running;
using Graft.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Graft.Tests;

/// <summary>
/// Checkpoints in PyTorch's format, written with TorchSharp.PyBridge from TorchSharp's own
/// torchvision models with random weights, read back through Graft's loader: the features must be
/// the ones the original model computes, taken from its own forward pass with a hook.
/// </summary>
public class TorchVisionCheckpointTests
{
    // float32 results of the same network agree to about 1e-4 of their size: Graft runs ResNets
    // with channels-last convolutions, which sum in another order than the model's own pass.
    const float Tolerance = 1e-4f;

    // Batch norms start as identities; random statistics and affine terms make every tensor count.
    static void RandomizeBatchNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var norm in model.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
        {
            norm.weight!.uniform_(0.5, 1.5);
            norm.bias!.normal_(0, 0.1);
            norm.running_mean!.normal_(0, 0.1);
            norm.running_var!.uniform_(0.5, 1.5);
        }
    }

    // PyBridge deflates what it writes, which takes half a minute for VGG's 400 MB first linear
    // layer of random floats. Zeroing all but its first tenth of columns keeps the layer random
    // where it matters and the zeros cheap to compress; fc6 then reads the first channels of pool5.
    static void ThinOutFirstLinear(nn.Module model, string name)
    {
        using var noGrad = no_grad();
        var weight = model.named_parameters().Single(p => p.name == name).parameter;
        using var zeroed = weight.narrow(1, weight.shape[1] / 10, weight.shape[1] - weight.shape[1] / 10);
        zeroed.zero_();
    }

    static void Save(nn.Module model, string path, string prefix = "")
    {
        var stateDict = model.state_dict().ToDictionary(pair => prefix + pair.Key, pair => pair.Value);
        using var stream = File.Create(path);
        PyTorchPickler.PickleStateDict(stream, stateDict);
    }

    // Two classes of 32x32 drawn shapes under FOLDER/shapes: enough to train a head on any backbone.
    static string DrawnShapes(TempFolder folder, int trainPerClass, int valPerClass)
    {
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass, valPerClass, size: 32);
        return data;
    }

    static void WriteRandomMobileNet(string path, int seed)
    {
        random.manual_seed(seed);
        using var model = torchvision.models.mobilenet_v2();
        Save(model, path);
    }

    // What the model's own forward pass hands to (or gets from) the named submodule, as floats.
    static float[] Captured(nn.Module<Tensor, Tensor> model, Tensor images, string submodule, bool input,
        Func<Tensor, Tensor> pool)
    {
        var target = (nn.Module<Tensor, Tensor>)model.named_modules().Single(m => m.name == submodule).module;
        float[]? captured = null;
        var hook = target.register_forward_hook((_, x, y) =>
        {
            captured = pool(input ? x : y).contiguous().data<float>().ToArray();
            return y;
        });
        using (no_grad())
        using (var scope = NewDisposeScope())
            model.call(images);
        hook.remove();
        return captured ?? throw new InvalidOperationException($"{submodule} was not called");
    }

    static float[] GraftFeatures(BackboneNetwork network, Tensor images, string layer)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return network.LayerFeatures(images, [layer])[layer].contiguous().data<float>().ToArray();
    }

    static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual).Max(pair => Math.Abs(pair.First - pair.Second));
        var scale = Math.Max(1f, expected.Max(Math.Abs));
        Assert.True(worst <= Tolerance * scale, $"features differ by up to {worst} (largest {scale})");
        Assert.True(expected.Any(v => Math.Abs(v) > 1e-3f), "the features should not all be zero");
    }

    static Tensor Images(int seed, int size)
    {
        random.manual_seed(seed);
        return randn(2, 3, size, size);
    }

    [Fact]
    public void Resnet50WithAModulePrefixGivesTheModelsPooledStages()
    {
        using var folder = new TempFolder();
        var path = folder.File("my-resnet50.pth");
        random.manual_seed(50);
        using var model = torchvision.models.resnet50();
        RandomizeBatchNorms(model);
        model.eval();
        Save(model, path, prefix: "module.");
        using var images = Images(1, 64);

        using var extractor = TorchVisionBackbone.Open(path, layer: null);
        var network = extractor.Network;

        Assert.Equal("torchvision-resnet50", extractor.Backbone.Id);
        Assert.Equal("layer4", extractor.Backbone.Layer);
        Assert.Equal(2048, extractor.Backbone.FeatureDim);
        var loaded = network.LoadReport!.Loaded.Keys;
        Assert.Equal(["fc.bias", "fc.weight"], loaded.Where(k => k.StartsWith("fc.")).Order());
        Assert.Empty(network.LoadReport.Missing);
        AssertClose(Captured(model, images, "avgpool", input: false, y => y.flatten(1)),
            GraftFeatures(network, images, "layer4"));
        AssertClose(Captured(model, images, "layer3", input: false, y => y.mean([2, 3])),
            GraftFeatures(network, images, "layer3"));
    }

    [Fact]
    public void ResNeXtIsToldFromResnet50ByItsGroupedConvolutions()
    {
        random.manual_seed(3);
        using var model = torchvision.models.resnext50_32x4d();
        var shapes = model.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.shape);

        var architecture = TorchVisionCheckpoint.Identify(shapes, "in memory");

        Assert.Equal("resnext50_32x4d", architecture.Name);
        Assert.Equal(2048, architecture.FeatureDim("layer4"));
    }

    [Theory]
    [InlineData("vgg11", 11, false, 64)]
    [InlineData("vgg13_bn", 13, true, 32)]
    public void VggGivesTheModelsFc7AndPool5(string name, int depth, bool batchNorm, int size)
    {
        using var folder = new TempFolder();
        var path = folder.File($"{name}-random.pth");
        random.manual_seed(depth);
        using var model = batchNorm ? torchvision.models.vgg13_bn() : torchvision.models.vgg11();
        RandomizeBatchNorms(model);
        ThinOutFirstLinear(model, "classifier.0.weight");
        model.eval();
        Save(model, path, prefix: batchNorm ? "module." : "");
        using var images = Images(2, size);

        using var extractor = TorchVisionBackbone.Open(path, layer: null);

        Assert.Equal($"torchvision-{name}", extractor.Backbone.Id);
        Assert.Equal(("fc7", 4096), (extractor.Backbone.Layer, extractor.Backbone.FeatureDim));
        AssertClose(Captured(model, images, "classifier.4", input: false, y => y),
            GraftFeatures(extractor.Network, images, "fc7"));
        AssertClose(Captured(model, images, "avgpool", input: true, x => x.mean([2, 3])),
            GraftFeatures(extractor.Network, images, "pool5"));
    }

    [Fact]
    public void AlexNetGivesTheModelsFc6()
    {
        using var folder = new TempFolder();
        var path = folder.File("alexnet-random.pth");
        random.manual_seed(7);
        using var model = torchvision.models.alexnet();
        ThinOutFirstLinear(model, "classifier.1.weight");
        model.eval();
        Save(model, path);
        using var images = Images(3, 96);

        using var extractor = TorchVisionBackbone.Open(path, "fc6");

        Assert.Equal("torchvision-alexnet", extractor.Backbone.Id);
        AssertClose(Captured(model, images, "classifier.2", input: false, y => y),
            GraftFeatures(extractor.Network, images, "fc6"));
    }

    [Fact]
    public void MobileNetV2FoundByItsTorchVisionFileNameGivesWhatItsClassifierReads()
    {
        using var folder = new TempFolder();
        var hub = Path.Combine(folder.Path, "hub", "checkpoints");
        random.manual_seed(2);
        using var model = torchvision.models.mobilenet_v2();
        RandomizeBatchNorms(model);
        model.eval();
        Save(model, folder.File("hub/checkpoints/mobilenet_v2-7ebf99e0.pth"));

        using var extractor = (TorchFeatureExtractor)BackboneCatalog.OpenSpec("mobilenet_v2", null, hub);

        Assert.Equal(Path.Combine(hub, "mobilenet_v2-7ebf99e0.pth"), extractor.Backbone.Source);
        Assert.Equal(("features", 1280), (extractor.Backbone.Layer, extractor.Backbone.FeatureDim));
        Assert.Equal(232, extractor.Backbone.Preprocessing.Resize.ResizeTo);
        Assert.Equal(224, extractor.Backbone.Preprocessing.Resize.Crop);
        var layer = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec("mobilenet_v2", "layer3", hub));
        Assert.Contains("--layer layer3: mobilenet_v2 gives features at features", layer.Message);

        // The extractor's own path: preprocessed 224x224 inputs, batched.
        using var images = Images(4, 224);
        var inputs = Enumerable.Range(0, 2).Select(i => images[i].contiguous().data<float>().ToArray()).ToList();
        var features = extractor.ExtractBatch(inputs);
        var expected = Captured(model, images, "classifier.0", input: true, x => x);
        AssertClose(expected, features.SelectMany(f => f).ToArray());
    }

    [Fact]
    public void ARenamedOrMisshapenKeyIsNamed()
    {
        using var folder = new TempFolder();
        random.manual_seed(5);
        using var model = torchvision.models.mobilenet_v2();
        var original = model.state_dict();

        var renamed = original.ToDictionary(
            pair => pair.Key == "features.5.conv.0.1.running_mean" ? "features.5.conv.0.1.running_average" : pair.Key,
            pair => pair.Value);
        var renamedPath = folder.File("renamed.pth");
        using (var stream = File.Create(renamedPath))
            PyTorchPickler.PickleStateDict(stream, renamed);
        var error = Assert.Throws<GraftException>(() => TorchVisionBackbone.Open(renamedPath, null));
        Assert.Contains(renamedPath, error.Message);
        Assert.Contains("missing from the checkpoint: features.5.conv.0.1.running_mean", error.Message);
        Assert.Contains("not in the network: features.5.conv.0.1.running_average", error.Message);

        using var wrong = zeros(10, 1, 3, 3);
        var misshapen = original.ToDictionary(pair => pair.Key,
            pair => pair.Key == "features.3.conv.1.0.weight" ? wrong : pair.Value);
        var misshapenPath = folder.File("misshapen.pth");
        using (var stream = File.Create(misshapenPath))
            PyTorchPickler.PickleStateDict(stream, misshapen);
        error = Assert.Throws<GraftException>(() => TorchVisionBackbone.Open(misshapenPath, null));
        Assert.Contains("features.3.conv.1.0.weight is [10, 1, 3, 3] in the checkpoint but [144, 1, 3, 3]",
            error.Message);
    }

    [Fact]
    public void AnUnknownArchitectureOrAMisnamedFileIsExplained()
    {
        using var folder = new TempFolder();
        var unknown = folder.File("vit.pth");
        using (var weight = zeros(4, 4))
        using (var stream = File.Create(unknown))
            PyTorchPickler.PickleStateDict(stream, new Dictionary<string, Tensor> { ["encoder.layers.0.w"] = weight });
        var error = Assert.Throws<GraftException>(() => TorchVisionBackbone.Describe(unknown));
        Assert.Contains("encoder.layers.0.w", error.Message);
        Assert.Contains("mobilenet_v2", error.Message);

        var misnamed = folder.File("vgg16-397923af.pth");
        WriteRandomMobileNet(misnamed, seed: 1);
        error = Assert.Throws<GraftException>(() => TorchVisionBackbone.Describe(misnamed));
        Assert.Contains("named like torchvision's vgg16", error.Message);

        var absent = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(
            "mobilenet_v2", null, Path.GetDirectoryName(misnamed)));
        Assert.Contains("mobilenet_v2-7ebf99e0.pth", absent.Message);
    }

    [Fact]
    public void AFileThatIsNoPyTorchCheckpointIsNamedForWhatItIs()
    {
        using var folder = new TempFolder();
        var jpeg = SharedData.Data("awkward/hopper.jpg");
        var error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(jpeg, null));
        Assert.Contains("not a checkpoint written by torch.save", error.Message);
        Assert.DoesNotContain("legacy", error.Message);

        var zip = folder.File("notes.pth");
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
            using (var writer = new StreamWriter(archive.CreateEntry("notes.txt").Open()))
                writer.Write("not tensors");
        error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(zip, null));
        Assert.Contains("zip archive but not a checkpoint", error.Message);

        var empty = folder.File("empty.pth");
        File.WriteAllBytes(empty, []);
        error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(empty, null));
        Assert.Contains("is empty", error.Message);

        var modelPath = folder.File("trained/model");
        using (var head = new Classifier(HeadSpec.Of("linear"), 4, 2))
            ModelFile.Save(GraftModel.From(head, new ModelMetadata
            {
                Classes = ["a", "b"], Head = HeadSpec.Of("linear"), Training = TrainOptions.For("linear"),
                Backbone = new BackboneInfo("toy", "layer4", 4, Preprocessing.TorchVision(), "none"),
            }), modelPath);
        error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(modelPath, null));
        Assert.Contains("graft evaluate or graft predict", error.Message);

        error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(folder.Path, null));
        Assert.Contains("is a folder", error.Message);
    }

    [Fact]
    public void ProbeAndAdviseTakeACheckpoint()
    {
        using var folder = new TempFolder();
        var data = DrawnShapes(folder, trainPerClass: 3, valPerClass: 2);
        random.manual_seed(18);
        var resnet = folder.File("weights/small-resnet.pth");
        using (var model = TorchResNet.Create([1, 1, 1, 1]))
            Save(model.Network, resnet);
        var mobilenet = folder.File("weights/mobilenet.pth");
        WriteRandomMobileNet(mobilenet, seed: 19);

        var (_, pretrained, baseline) = new AdviceRun().Run(new ProbeRequest
        {
            DataDir = data, Backbone = resnet, NoCache = true, Layers = ["layer3"],
        });
        Assert.Equal("torchvision-resnet[1,1,1,1]", pretrained.Backbone);
        Assert.Equal("torchvision-resnet[1,1,1,1]-random", baseline.Backbone);
        Assert.Equal(["layer3", "layer4"], pretrained.Layers.Select(p => p.Layer));

        var probe = new ProbeRun().Run(new ProbeRequest { DataDir = data, Backbone = mobilenet, NoCache = true });
        Assert.Equal(["features"], probe.Layers.Select(p => p.Layer));
        Assert.Equal(1280, probe.Layers[0].FeatureDim);

        var error = Assert.Throws<GraftException>(() => new AdviceRun().Run(
            new ProbeRequest { DataDir = data, Backbone = mobilenet, NoCache = true }));
        Assert.Contains("graft probe --backbone", error.Message);
    }

    [Fact]
    public void TrainsOnACheckpointInTorchHomeAndEvaluatesFromTheSavedModel()
    {
        using var folder = new TempFolder();
        var data = DrawnShapes(folder, trainPerClass: 4, valPerClass: 2);
        WriteRandomMobileNet(folder.File("torch/hub/checkpoints/mobilenet_v2-b0353104.pth"), seed: 9);
        var environment = new Dictionary<string, string> { ["TORCH_HOME"] = Path.Combine(folder.Path, "torch") };
        var output = Path.Combine(folder.Path, "out");

        var train = GraftProcess.Run(TimeSpan.FromMinutes(3), environment,
            "train", data, "--out", output, "--backbone", "mobilenet_v2", "--no-cache", "--epochs", "5");
        Assert.True(train.ExitCode == 0, train.Stderr);
        Assert.Contains("classifier classifier.1 is replaced by the new head", train.Stdout + train.Stderr);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json"))))
        {
            var training = metrics.RootElement.GetProperty("training");
            Assert.Equal("torchvision-mobilenet_v2", training.GetProperty("backbone").GetString());
            Assert.Equal("features", training.GetProperty("layer").GetString());
        }

        var evaluate = GraftProcess.Run(TimeSpan.FromMinutes(3), "evaluate", output, Path.Combine(data, "val"));
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);

        // A MobileNet under VGG-16's file name is there, but not a VGG-16.
        WriteRandomMobileNet(folder.File("torch/hub/checkpoints/vgg16-397923af.pth"), seed: 2);
        var listing = GraftProcess.Run(TimeSpan.FromMinutes(1), environment, "backbones");
        Assert.Matches(@"mobilenet_v2-b0353104\.pth +IMAGENET1K_V1, resize 256 +present\n", listing.Stdout);
        Assert.Matches(@"vgg16-397923af\.pth +IMAGENET1K_V1, resize 256 +present, but it holds a mobilenet_v2", listing.Stdout);
        Assert.Matches(@"mobilenet_v2-7ebf99e0\.pth +IMAGENET1K_V2, resize 232 +not here", listing.Stdout);
    }

    [Fact]
    public void FineTunesABottleneckResNetCheckpointAndPredictsFromTheBackboneItStores()
    {
        using var folder = new TempFolder();
        var data = DrawnShapes(folder, trainPerClass: 4, valPerClass: 2);
        var checkpoint = folder.File("resnet50-random.pth");
        random.manual_seed(5);
        using (var model = torchvision.models.resnet50())
            Save(model, checkpoint);
        var output = Path.Combine(folder.Path, "out");

        var train = GraftProcess.Run(TimeSpan.FromMinutes(5), "train", data, "--out", output, "--backbone",
            checkpoint, "--finetune", "last:1", "--finetune-epochs", "1", "--epochs", "3", "--no-cache");
        Assert.True(train.ExitCode == 0, train.Stderr);

        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        var training = metrics.RootElement.GetProperty("training");
        Assert.Equal("torchvision-resnet50", training.GetProperty("backbone").GetString());
        Assert.Equal(1, training.GetProperty("finetune_epochs").GetInt32());
        // The checkpoint moves away: the fine-tuned model carries its own backbone weights.
        File.Move(checkpoint, checkpoint + ".moved");
        var evaluate = GraftProcess.Run(TimeSpan.FromMinutes(3), "evaluate", output, Path.Combine(data, "val"),
            "--out", Path.Combine(folder.Path, "evaluation.json"));
        Assert.True(evaluate.ExitCode == 0, evaluate.Stderr);
        using var evaluation = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "evaluation.json")));
        var val = metrics.RootElement.GetProperty("val");
        Assert.Equal(val.GetProperty("accuracy").GetDouble(), evaluation.RootElement.GetProperty("accuracy").GetDouble());
        Assert.Equal(val.GetProperty("loss").GetDouble(), evaluation.RootElement.GetProperty("loss").GetDouble(), 1e-5);
    }

    [Fact]
    public void FineTuningAnotherArchitectureIsRefusedBeforeAnyWork()
    {
        using var folder = new TempFolder();
        var data = DrawnShapes(folder, trainPerClass: 2, valPerClass: 1);
        var mobilenet = folder.File("mobilenet.pth");
        WriteRandomMobileNet(mobilenet, seed: 3);

        foreach (var extra in new[] { "--finetune", "--strategy" })
        {
            var error = Assert.Throws<GraftException>(() => new TrainingRun().Run(new TrainRequest
            {
                DataDir = data, OutDir = Path.Combine(folder.Path, "out"), Backbone = mobilenet, NoCache = true,
                FineTune = extra == "--finetune" ? FineTuneOptions.Parse("last:1") : null,
                Strategy = extra == "--strategy" ? "auto" : "frozen",
            }));
            Assert.Contains("work with ResNets", error.Message);
            Assert.Contains("mobilenet_v2", error.Message);
        }
        Assert.False(Directory.Exists(Path.Combine(folder.Path, "out")));
    }
}
