using Graft.Backbones;
using Graft.Data;
using Graft.Running;
using Graft.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Graft.Tests;

public class BackboneSpecTests
{
    // TorchVision for TorchSharp builds the same module tree as Python's torchvision, so its
    // state_dict is what torch.save writes for resnet18(weights=None).
    static void WriteRandomResNet18(string path, int seed = 3)
    {
        random.manual_seed(seed);
        using var network = torchvision.models.resnet18();
        network.save_py(path);
    }

    [Fact]
    public void TrainsAHeadOnACheckpointAndPredictsTheSameFromTheSavedModel()
    {
        using var folder = new TempFolder();
        var checkpoint = folder.File("weights/my-resnet18.pth");
        WriteRandomResNet18(checkpoint);
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 6, valPerClass: 3, size: 64);
        var outDir = Path.Combine(folder.Path, "out");

        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = data, OutDir = outDir, Backbone = checkpoint, NoCache = true,
            Options = TrainOptions.For("linear") with { Epochs = 5 },
        });

        Assert.Equal("torchvision-resnet18", result.Metrics.Training.Backbone);
        using (var predictor = Predictor.Open(outDir))
        {
            Assert.Equal(Path.GetFullPath(checkpoint), predictor.Model.Backbone.Source);
            Assert.StartsWith("my-resnet18.pth:", predictor.Model.Backbone.WeightsFingerprint);
            var (metrics, _) = predictor.Evaluate(Path.Combine(data, "val"));
            Assert.Equal(result.Metrics.Val.Confusion, metrics.Confusion);
            Assert.Equal(result.Metrics.Val.Loss, metrics.Loss, 1e-5);
        }

        File.Delete(checkpoint);
        var error = Assert.Throws<GraftException>(() => Predictor.Open(outDir));
        Assert.Contains(Path.GetFullPath(checkpoint), error.Message);
    }

    [SharedDataFact]
    public void TheDataParallelFixtureGivesPyTorchsFeatures()
    {
        var path = SharedData.Fixture("resnet18_random_dataparallel.pth");
        using var extractor = BackboneCatalog.OpenSpec(path, "layer4");
        using var scope = NewDisposeScope();
        var expected = PyTorchUnpickler.UnpickleStateDict(
            SharedData.Fixture("resnet18_random_dataparallel.expected.pth"));
        var input = (Tensor)expected["input"]!;
        var pooled = (Tensor)expected["pooled"]!;

        Assert.Equal("torchvision-resnet18", extractor.Backbone.Id);
        Assert.Equal(Preprocessing.TorchVision().Fingerprint(), extractor.Backbone.Preprocessing.Fingerprint());
        for (var i = 0; i < 2; i++)
        {
            var features = extractor.Extract(input[i].contiguous().data<float>().ToArray());
            var reference = pooled[i].data<float>().ToArray();
            Assert.Equal(512, features.Length);
            Assert.All(features.Zip(reference), pair => Assert.Equal(pair.Second, pair.First, 1e-4));
        }
    }

    [Fact]
    public void ABareFileNameIsLookedUpInTheCheckpointsFolder()
    {
        using var folder = new TempFolder();
        var hub = Path.Combine(folder.Path, "hub", "checkpoints");
        WriteRandomResNet18(folder.File("hub/checkpoints/resnet18-f37072fd.pth"));

        using var extractor = BackboneCatalog.OpenSpec("resnet18-f37072fd.pth", "layer2", hub);

        Assert.Equal(128, extractor.Backbone.FeatureDim);
        Assert.Equal(Path.Combine(hub, "resnet18-f37072fd.pth"), extractor.Backbone.Source);
        Assert.Equal([Path.Combine(hub, "resnet18-f37072fd.pth")], TorchVisionBackbone.FindCheckpoints(hub));
    }

    [Fact]
    public void TheCheckpointsFolderFollowsTorchHome()
    {
        var before = Environment.GetEnvironmentVariable("TORCH_HOME");
        try
        {
            Environment.SetEnvironmentVariable("TORCH_HOME", "/somewhere/torch");
            Assert.Equal("/somewhere/torch/hub/checkpoints", TorchVisionBackbone.HubCheckpointsDir());
        }
        finally
        {
            Environment.SetEnvironmentVariable("TORCH_HOME", before);
        }
    }

    [Fact]
    public void AMissingOrWrongFileIsNamed()
    {
        using var folder = new TempFolder();
        var hub = Path.Combine(folder.Path, "empty-hub");
        var missing = Assert.Throws<GraftException>(
            () => BackboneCatalog.OpenSpec("resnet34-b627a593.pth", "layer4", hub));
        Assert.Contains("resnet34-b627a593.pth", missing.Message);
        Assert.Contains(hub, missing.Message);

        var text = folder.File("notes.pth");
        File.WriteAllText(text, "not a checkpoint");
        var wrong = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(text, "layer4", hub));
        Assert.Contains(text, wrong.Message);

        var onnx = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec("other.onnx", "layer4", hub));
        Assert.Contains("other.onnx", onnx.Message);
    }

    [Fact]
    public void AnOnnxImageModelTrainsAHeadAndReopensFromTheSavedModel()
    {
        using var folder = new TempFolder();
        var model = folder.File("models/some-net.onnx");
        File.Copy(EmbeddedResNet18.ModelPath, model);
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 6, valPerClass: 3, size: 64);
        var outDir = Path.Combine(folder.Path, "out");

        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = data, OutDir = outDir, Backbone = model, NoCache = true,
            Options = TrainOptions.For("linear") with { Epochs = 5 },
            Onnx = new ImageModelOptions(Mean: [0.5f, 0.5f, 0.5f], Std: [0.25f, 0.25f, 0.25f]),
        });

        Assert.Equal("onnx-some-net", result.Metrics.Training.Backbone);
        using var predictor = Predictor.Open(outDir);
        Assert.Equal(512, predictor.Model.Backbone.FeatureDim);
        Assert.Equal([0.5f, 0.5f, 0.5f], predictor.Model.Backbone.Preprocessing.Mean);
        var (metrics, _) = predictor.Evaluate(Path.Combine(data, "val"));
        Assert.Equal(result.Metrics.Val.Confusion, metrics.Confusion);
        Assert.Equal(result.Metrics.Val.Loss, metrics.Loss, 1e-5);
    }

    [Fact]
    public void AnOnnxOutputThatIsNotThereIsNamed()
    {
        var error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(
            EmbeddedResNet18.ModelPath, "layer4", onnx: new ImageModelOptions(Output: "no_such_node")));

        Assert.Contains("no_such_node", error.Message);
        Assert.Contains("it has", error.Message);
    }

    [Fact]
    public void AResNetWithoutAllItsStagesIsNamed()
    {
        using var folder = new TempFolder();
        var path = folder.File("resnet50-like.pth");
        using (var stream = File.Create(path))
        {
            var stateDict = new Dictionary<string, Tensor>
            {
                ["conv1.weight"] = zeros(64, 3, 7, 7),
                ["layer1.0.conv3.weight"] = zeros(256, 64, 1, 1),
            };
            PyTorchPickler.PickleStateDict(stream, stateDict);
            foreach (var tensor in stateDict.Values)
                tensor.Dispose();
        }

        var error = Assert.Throws<GraftException>(() => BackboneCatalog.OpenSpec(path, "layer4"));

        Assert.Contains(path, error.Message);
        Assert.Contains("without all of layer1, layer2, layer3, layer4", error.Message);
    }

    [Fact]
    public void FineTuningAnotherBackboneIsRefusedClearly()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<GraftException>(() => new TrainingRun().Run(new TrainRequest
        {
            DataDir = Path.Combine(folder.Path, "data"), OutDir = Path.Combine(folder.Path, "out"),
            Backbone = "my.pth", Strategy = "auto",
        }));
        Assert.Contains("--backbone my.pth", error.Message);
    }
}
