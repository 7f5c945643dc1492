using System.Diagnostics;
using Graft.Backbones;
using Graft.Data;
using Graft.Features;
using Graft.Running;

namespace Graft.Tests;

/// <summary>
/// Earlier layers, the linear probe per layer, and the advisor: its rule on constructed numbers,
/// and its answer on real images. The real-data tests use a sample of hymenoptera and share one
/// feature cache, so the two TorchSharp passes (pretrained and random weights) happen once.
/// </summary>
public class ProbeAndAdviceTests(HymenopteraSample sample) : IClassFixture<HymenopteraSample>
{
    static IReadOnlyList<LayerProbe> Probes(double layer2, double layer3, double layer4) =>
    [
        new("layer2", 128, 1, layer2, 0.5, 10),
        new("layer3", 256, 1, layer3, 0.4, 10),
        new("layer4", 512, 1, layer4, 0.3, 10),
    ];

    [Theory]
    [InlineData(121, 0.84, 0.91, 0.94, 0.69, TransferStrategy.LinearHeadOnTop, "layer4")]
    [InlineData(121, 0.84, 0.90, 0.85, 0.80, TransferStrategy.LinearHeadOnEarlierLayer, "layer3")]
    [InlineData(1500, 0.84, 0.91, 0.94, 0.69, TransferStrategy.FineTuneTop, "layer4")]
    [InlineData(1000, 0.70, 0.72, 0.76, 0.70, TransferStrategy.FineTuneAll, "layer4")]
    [InlineData(999, 0.95, 0.93, 0.90, 0.60, TransferStrategy.LinearHeadOnEarlierLayer, "layer2")]
    public void RuleNamesTheSituationFromImagesPerClassAndThePretrainedAgainstRandomGap(
        int smallestClass, double layer2, double layer3, double layer4, double randomLayer4,
        TransferStrategy expected, string layer)
    {
        var random = Probes(randomLayer4 - 0.05, randomLayer4 - 0.02, randomLayer4);
        var advice = Advice.Decide(smallestClass, Probes(layer2, layer3, layer4), random);

        Assert.Equal(expected, advice.Strategy);
        Assert.Equal(layer, advice.Layer);
        Assert.Equal(smallestClass < Advice.LargeImagesPerClass, advice.Small);
        Assert.Equal(expected is TransferStrategy.LinearHeadOnTop or TransferStrategy.FineTuneTop, advice.Similar);
        Assert.Contains(advice.Reasons, r => r.Contains($"{smallestClass} training images"));
    }

    [Fact]
    public void RuleJudgesSimilarityByTheShareOfErrorsPretrainingRemoves()
    {
        // 0.90 -> 0.96 removes 60% of the errors (similar); 0.60 -> 0.75 removes 38% (different).
        Assert.True(Advice.Decide(100, Probes(0.80, 0.85, 0.96), Probes(0.8, 0.85, 0.90)).Similar);
        Assert.False(Advice.Decide(100, Probes(0.60, 0.70, 0.75), Probes(0.5, 0.55, 0.60)).Similar);

        // An earlier layer just under the margin does not make the data different.
        Assert.True(Advice.Decide(100, Probes(0.80, 0.915, 0.90), Probes(0.5, 0.5, 0.5)).Similar);
    }

    [Fact]
    public void PretrainedFeaturesNoBetterThanRandomOnesWarnOfNegativeTransfer()
    {
        var advice = Advice.Decide(200, Probes(0.70, 0.68, 0.66), Probes(0.72, 0.69, 0.64));

        Assert.True(advice.NegativeTransfer);
        Assert.Contains(advice.Warnings, w => w.StartsWith("negative transfer: the best pretrained layer"));
        Assert.Contains(advice.Warnings, w => w.StartsWith("negative transfer at layer2"));
        Assert.DoesNotContain(advice.Warnings, w => w.Contains("at layer4"));
        Assert.Empty(Advice.Decide(200, Probes(0.8, 0.9, 0.95), Probes(0.6, 0.6, 0.6)).Warnings);
    }

    [Theory]
    [InlineData(9, 4)]
    [InlineData(40, 2)]
    [InlineData(2, 1)]
    public void TooFewValImagesGiveTheSafeDefaultWithNoPercentAndNoWarning(int valImages, int smallestValClass)
    {
        // Numbers that would otherwise say "different, negative transfer at layer2".
        var advice = Advice.Decide(100, Probes(0.5, 0.6, 0.7), Probes(0.8, 0.5, 0.65), valImages, smallestValClass);

        Assert.True(advice.TooSmallToJudge);
        Assert.Equal(TransferStrategy.LinearHeadOnTop, advice.Strategy);
        Assert.Equal("layer4", advice.Layer);
        Assert.Equal("linear head on frozen layer4 features", advice.StrategyText);
        Assert.Contains("the val images cannot judge its similarity", advice.Situation);
        Assert.Contains(advice.Reasons, r => r.StartsWith($"only {valImages} val images ({smallestValClass} in"));
        Assert.DoesNotContain(advice.Reasons, r => r.Contains('%'));
        Assert.Empty(advice.Warnings);
        Assert.False(advice.NegativeTransfer);

        Assert.False(Advice.Decide(100, Probes(0.5, 0.6, 0.7), Probes(0.8, 0.5, 0.65), 10, 3).TooSmallToJudge);
    }

    [Fact]
    public void PerfectPretrainedAndRandomProbesAreTooEasyToJudgeAndNeverNegativeTransfer()
    {
        var ceiling = Advice.Decide(1, Probes(1, 1, 1), Probes(1, 1, 1), 40, 20);
        Assert.True(ceiling.TooSmallToJudge);
        Assert.Equal(TransferStrategy.LinearHeadOnTop, ceiling.Strategy);
        Assert.Contains(ceiling.Reasons, r => r.Contains("both classify every val image correctly"));
        Assert.DoesNotContain(ceiling.Reasons, r => r.Contains("removes"));
        Assert.Empty(ceiling.Warnings);

        // layer2 perfect either way is no sign of negative transfer; layer3 below random is.
        var advice = Advice.Decide(100, Probes(1, 0.9, 0.97), Probes(1, 0.95, 0.6), 40, 20);
        Assert.False(advice.TooSmallToJudge);
        Assert.False(advice.NegativeTransfer);
        Assert.Equal(["negative transfer at layer3: pretrained 0.9000, random weights 0.9500"], advice.Warnings);
    }

    [Fact]
    public void AutoStrategyFineTunesWhenTheAdviceSaysSo()
    {
        var top = Advice.Decide(5000, Probes(0.84, 0.91, 0.94), Probes(0.5, 0.5, 0.6));
        var choice = AutoStrategy.Follow(top, "linear");
        Assert.Equal(TransferStrategy.FineTuneTop, top.Strategy);
        Assert.Equal("last:1", choice.FineTune);
        Assert.Equal("layer4", choice.Layer);
        Assert.StartsWith("Large data set, similar to ImageNet. The smallest class", choice.Why);
        Assert.Contains(". The smallest class has 5000 training images", choice.Why);
        Assert.Equal(top.StrategyText, choice.Recommended);

        var all = AutoStrategy.Follow(Advice.Decide(5000, Probes(0.84, 0.95, 0.8), Probes(0.7, 0.7, 0.75)), "linear");
        Assert.Equal("all", all.FineTune);

        var frozen = AutoStrategy.Follow(Advice.Decide(50, Probes(0.84, 0.91, 0.94), Probes(0.5, 0.5, 0.6)), "linear");
        Assert.Null(frozen.FineTune);
        Assert.Equal("linear head on frozen layer4 features", frozen.Chosen);
    }

    [Fact]
    public void OnePassFillsTheCacheForEveryStageAndMatchesTheSingleLayerExtractor()
    {
        using var folder = new TempFolder();
        ShapeImages.Write(folder.Path, trainPerClass: 2, valPerClass: 1, size: 48);
        var data = ImageFolderDataset.Load(folder.Path);
        var images = data.Train.Concat(data.Val).ToList();
        var cache = new FeatureCache(Path.Combine(folder.Path, "cache"));
        using var extractor = TorchFeatureExtractor.OpenEmbeddedResNet18();
        var pipeline = new StageFeaturePipeline(extractor, cache);

        var first = pipeline.Extract(images, ["layer3"]);
        Assert.Equal(images.Count, first["layer3"].Computed);
        var again = pipeline.Extract(images, ["layer1", "layer2", "layer3", "layer4"]);
        Assert.All(again.Values, set => Assert.Equal(images.Count, set.FromCache));
        Assert.Equal(64, again["layer1"].Features[0].Length);
        Assert.Equal(512, again["layer4"].Features[0].Length);

        using var single = TorchFeatureExtractor.OpenEmbeddedResNet18("layer3");
        var input = new float[single.Backbone.Preprocessing.InputLength];
        var image = ImageDecoder.Decode(File.ReadAllBytes(images[0].Path), images[0].Path,
            single.Backbone.Preprocessing.Resize);
        single.Backbone.Preprocessing.ToTensor(image, input);
        var expected = single.Extract(input);
        Assert.All(expected.Zip(first["layer3"].Features[0]), pair => Assert.Equal(pair.First, pair.Second, 1e-4));
    }

    [Fact]
    public void ProbeCommandPrintsOneRowPerLayerAndNamesTheBest()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        ShapeImages.Write(data, trainPerClass: 4, valPerClass: 2, size: 48);

        var (exit, stdout, stderr) = Graft("probe", data, "--cache", Path.Combine(folder.Path, "cache"),
            "--layers", "layer3,layer2");
        Assert.True(exit == 0, stderr);
        Assert.Contains("│ layer2", stdout);
        Assert.Contains("│ layer3", stdout);
        Assert.DoesNotContain("│ layer4", stdout);
        Assert.Matches("Best layer: layer[23] \\(val accuracy", stdout);

        var (badExit, _, badStderr) = Graft("probe", data, "--layers", "layer9");
        Assert.Equal(1, badExit);
        Assert.Contains("unknown layer9", badStderr);
    }

    [Fact]
    public void AdviseOnOneValImagePerClassSaysItCannotJudgeAndGivesTheSafeDefault()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "data");
        ShapeImages.Write(data, trainPerClass: 2, valPerClass: 1, size: 48);

        var (exit, stdout, stderr) = Graft("advise", data, "--cache", Path.Combine(folder.Path, "cache"));
        Assert.True(exit == 0, stderr);
        Assert.Contains("Strategy: linear head on frozen layer4 features", stdout);
        Assert.Contains("only 2 val images (1 in the smallest class): too few", stdout);
        Assert.DoesNotContain("%", stdout);
        Assert.DoesNotContain("negative transfer", stdout + stderr);
    }

    [SharedDataFact]
    public void AntsAndBeesAreSmallAndSimilarSoALinearHeadOnLayer4()
    {
        var (advice, pretrained, random) = new AdviceRun().Run(
            new ProbeRequest { DataDir = sample.Data, CacheDir = sample.Cache });

        Assert.Equal(TransferStrategy.LinearHeadOnTop, advice.Strategy);
        Assert.Equal("layer4", advice.Layer);
        Assert.Equal("small data set, similar to ImageNet", advice.Situation);
        Assert.Equal(HymenopteraSample.PerClass, advice.SmallestClassImages);
        Assert.Equal(["layer2", "layer3", "layer4"], pretrained.Layers.Select(p => p.Layer));
        Assert.Equal("resnet18-random", random.Backbone);
        Assert.True(pretrained.At("layer4")!.ValAccuracy > random.At("layer4")!.ValAccuracy + 0.15);
        Assert.Empty(advice.Warnings);
    }

    [SharedDataFact]
    public void Layer3ModelPredictsThroughTheSameLayer()
    {
        var outDir = sample.NewOut();
        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = sample.Data, OutDir = outDir, CacheDir = sample.Cache, Layer = "layer3",
        });
        Assert.Equal("layer3", result.Metrics.Training.Layer);
        Assert.True(result.Metrics.Val.Accuracy >= 0.75, $"val accuracy {result.Metrics.Val.Accuracy}");

        using var cached = Predictor.Open(outDir, new FeatureCache(sample.Cache));
        Assert.Equal("layer3", cached.Model.Backbone.Layer);
        Assert.Equal(256, cached.Model.Backbone.FeatureDim);
        var (metrics, _) = cached.Evaluate(Path.Combine(sample.Data, "val"));
        Assert.Equal(result.Metrics.Val.Confusion, metrics.Confusion);

        // Without the cache the features come from TorchSharp at layer3, and agree with the cached ones.
        var few = ImageFolderDataset.ReadLabelled(Path.Combine(sample.Data, "val"), cached.ClassNames, [], [])
            .Take(3).ToList();
        using var fresh = Predictor.Open(outDir);
        var (_, computed) = fresh.Predict("val", few);
        var (_, fromCache) = cached.Predict("val", few);
        Assert.All(computed.Zip(fromCache), pair => Assert.Equal(pair.First[0], pair.Second[0], 1e-3));
    }

    [SharedDataFact]
    public void AutoStrategyFollowsTheAdviceAndRecordsItInMetricsJson()
    {
        var outDir = sample.NewOut();
        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = sample.Data, OutDir = outDir, CacheDir = sample.Cache, Strategy = "auto",
        });

        Assert.Equal("layer4", result.Metrics.Training.Layer);
        Assert.Equal("linear head on frozen layer4 features", result.Metrics.Strategy!.Chosen);
        var json = File.ReadAllText(Path.Combine(outDir, "metrics.json"));
        Assert.Contains("\"strategy\": {", json);
        Assert.Contains("\"why\": \"Small data set, similar to ImageNet", json);
    }

    [SharedDataFact]
    public void FineTuningOptionsNeedFineTuningOrAutoWhichSaysWhenItDoesNotUseThem()
    {
        var frozen = Graft("train", sample.Data, "--out", sample.NewOut(), "--cache", sample.Cache,
            "--finetune-epochs", "2");
        Assert.Equal(1, frozen.ExitCode);
        Assert.Contains("--finetune-epochs applies to fine-tuning", frozen.Stderr);

        // The small ants-and-bees sample gets a frozen head, so the fine-tuning epochs go unused.
        var auto = Graft("train", sample.Data, "--out", sample.NewOut(), "--cache", sample.Cache,
            "--strategy", "auto", "--finetune-epochs", "2");
        Assert.True(auto.ExitCode == 0, auto.Stderr);
        Assert.Contains("fine-tuning options given are not used", auto.Stderr);
    }

    static GraftProcess.Outcome Graft(params string[] args) => GraftProcess.Run(TimeSpan.FromMinutes(2), args);
}
