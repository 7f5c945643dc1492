using System.Diagnostics;
using System.Globalization;
using Graft.Backbones;
using Graft.Backbones.Torch;
using Graft.Data;
using Graft.Heads;
using Graft.Models;
using Graft.Running;
using Graft.Training;
using static TorchSharp.torch;

namespace Graft.Tests;

public class FineTuneTests
{
    static readonly string[] Classes = ["circle", "square"];

    /// <summary>Drawn shapes decoded small (a 72 px square, 64 px crops) so a step costs little.</summary>
    static FineTuneData SmallData(TempFolder folder, int trainPerClass, int crop = 64)
    {
        var root = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(root, classes: 2, trainPerClass: trainPerClass, valPerClass: 2, size: 64);
        var preprocessing = Preprocessing.TorchVision(crop + crop / 8, crop);
        var square = new ResizeSpec("crop", preprocessing.Resize.ResizeTo, preprocessing.Resize.ResizeTo);
        (List<DecodedImage> Images, int[] Labels) Read(string split, ResizeSpec resize)
        {
            var files = Classes.SelectMany((name, label) => Directory.GetFiles(Path.Combine(root, split, name))
                .Order().Select(path => (path, label))).ToList();
            return (files.Select(f => ImageDecoder.Decode(f.path, resize)).ToList(),
                files.Select(f => f.label).ToArray());
        }

        var train = Read("train", square);
        var val = Read("val", preprocessing.Resize);
        return new FineTuneData(train.Images, train.Labels, val.Images, val.Labels, preprocessing, "layer4");
    }

    static float[] Values(TorchResNet network, string name)
    {
        using var value = network.Network.state_dict()[name].detach().contiguous();
        return value.data<float>().ToArray();
    }

    [Fact]
    public void FrozenBatchNormStatisticsStayPutWhileLayer4Learns()
    {
        using var folder = new TempFolder();
        var data = SmallData(folder, trainPerClass: 3);
        using var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        using var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
        var options = new FineTuneOptions
        {
            Stages = 1, Epochs = 1, BatchSize = 3, LearningRate = 1e-3, BatchNorm = "train",
        };
        FineTuner.Unfreeze(network, options);
        using var optimizer = FineTuner.CreateOptimizer(network, head, options, headWeightDecay: 0);
        string[] frozen = ["bn1.running_mean", "layer3.1.bn2.running_var", "layer1.0.bn1.running_mean", "conv1.weight",
            "layer3.1.conv2.weight"];
        string[] learning = ["layer4.0.bn1.running_mean", "layer4.2.bn2.running_var", "layer4.2.conv2.weight"];
        var before = frozen.Concat(learning).ToDictionary(name => name, name => Values(network, name));

        var state = new FineTuner().Run(network, head, optimizer, data, Classes, options);

        Assert.Equal(1, state.Epoch);
        foreach (var name in frozen)
            Assert.Equal(before[name], Values(network, name));
        foreach (var name in learning)
            Assert.NotEqual(before[name], Values(network, name));
        Assert.False(network.Network.named_parameters().First(p => p.name == "layer3.1.conv2.weight").parameter
            .requires_grad);
    }

    [Fact]
    public void FrozenBatchNormKeepsEveryRunningStatisticWhileWeightsLearn()
    {
        using var folder = new TempFolder();
        var data = SmallData(folder, trainPerClass: 3);
        using var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        using var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
        var options = new FineTuneOptions { Stages = 1, Epochs = 1, BatchSize = 3, LearningRate = 1e-3 };
        FineTuner.Unfreeze(network, options);
        using var optimizer = FineTuner.CreateOptimizer(network, head, options, headWeightDecay: 0);
        var statistics = network.Network.state_dict().Keys.Where(name => name.Contains("running_")).ToList();
        var before = statistics.ToDictionary(name => name, name => Values(network, name));
        var weight = Values(network, "layer4.2.conv2.weight");

        new FineTuner().Run(network, head, optimizer, data, Classes, options);

        Assert.Equal("frozen", options.BatchNorm);
        foreach (var name in statistics)
            Assert.Equal(before[name], Values(network, name));
        Assert.NotEqual(weight, Values(network, "layer4.2.conv2.weight"));
    }

    [Theory]
    [InlineData("last:1", 1, false)]
    [InlineData("last:4", 4, false)]
    [InlineData("all", 4, true)]
    [InlineData("last:0", 0, false)]
    [InlineData("last:5", 0, false)]
    [InlineData("last:01", 0, false)]
    [InlineData("last:1 ", 0, false)]
    [InlineData("last: 1", 0, false)]
    [InlineData("Last:1", 0, false)]
    public void FineTuneStagesAreReadExactly(string text, int stages, bool stem)
    {
        if (stages == 0)
        {
            var error = Assert.Throws<GraftException>(() => FineTuneOptions.Parse(text));
            Assert.Contains($"'{text}'", error.Message);
            return;
        }
        var options = FineTuneOptions.Parse(text);
        Assert.Equal((stages, stem), (options.Stages, options.Stem));
        Assert.Equal(text, options.Describe());
    }

    [Fact]
    public void SettingsGivenWithoutStagesApplyToTheStagesChosenLater()
    {
        var settings = new FineTuneSettings { Epochs = 2, Optimizer = "sgd", Patience = 1 };
        var all = settings.For("all", seed: 7);
        Assert.Equal((4, true, 2, "sgd", 1, 7), (all.Stages, all.Stem, all.Epochs, all.Optimizer, all.Patience, all.Seed));
        var defaults = FineTuneOptions.Parse("all");
        Assert.Equal((defaults.LearningRate, defaults.Augment, defaults.BatchSize), (all.LearningRate, all.Augment, all.BatchSize));
        Assert.True(settings.AnyOwn);
        Assert.False(new FineTuneSettings { Patience = 3, BatchSize = 8 }.AnyOwn);
    }

    [Fact]
    public void BackboneLearnsAtAFractionOfTheHeadRate()
    {
        using var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        using var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
        foreach (var kind in FineTuneOptions.Optimizers)
        {
            var options = FineTuneOptions.Parse("last:2") with
            {
                LearningRate = 1e-3, BackboneLrFactor = 0.1, Optimizer = kind,
            };
            FineTuner.Unfreeze(network, options);
            using var optimizer = FineTuner.CreateOptimizer(network, head, options, headWeightDecay: 0);

            var groups = optimizer.ParamGroups.ToList();
            Assert.Equal(2, groups.Count);
            Assert.Equal(1e-3, groups[0].LearningRate, 12);
            Assert.Equal(1e-4, groups[1].LearningRate, 12);
            var trainable = network.Network.named_parameters().Where(p => p.parameter.requires_grad)
                .Select(p => p.name.Split('.')[0]).Distinct().Order().ToList();
            Assert.Equal(["layer3", "layer4"], trainable);
        }

        FineTuner.Unfreeze(network, FineTuneOptions.Parse("all"));
        Assert.All(network.Network.named_parameters().Where(p => !p.name.StartsWith("fc.")),
            p => Assert.True(p.parameter.requires_grad, p.name));
    }

    [Fact]
    public void ALastBatchOfOneJoinsThePreviousBatch()
    {
        Assert.Equal([(0, 2), (2, 3)], FineTuner.Batches(5, 2));
        Assert.Equal([(0, 4), (4, 4)], FineTuner.Batches(8, 4));
        Assert.Equal([(0, 3)], FineTuner.Batches(3, 4));
    }

    [Fact]
    public void ABatchOfOneWithTrainableBatchNormDoesNotCrash()
    {
        // At 32 px layer4 is 1x1, where batch norm in training mode fails on a single sample.
        using var folder = new TempFolder();
        var data = SmallData(folder, trainPerClass: 2, crop: 32);
        data = data with { Train = data.Train.Take(3).ToList(), TrainLabels = data.TrainLabels.Take(3).ToArray() };
        using var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        using var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
        var options = new FineTuneOptions
        {
            Stages = 1, Epochs = 1, BatchSize = 2, Augment = "flip", BatchNorm = "train",
        };
        FineTuner.Unfreeze(network, options);
        using var optimizer = FineTuner.CreateOptimizer(network, head, options, headWeightDecay: 0);

        var state = new FineTuner().Run(network, head, optimizer, data, Classes, options);

        Assert.Equal(1, state.Epoch);
        Assert.True(double.IsFinite(state.History[^1].TrainLoss));
    }

    [Fact]
    public void AFineTunedModelRoundTripsWithIdenticalPredictions()
    {
        using var folder = new TempFolder();
        var data = SmallData(folder, trainPerClass: 3);
        using var network = TorchResNet.FromEmbeddedOnnx(EmbeddedResNet18.ModelPath);
        using var head = new Classifier(HeadSpec.Of("linear"), 512, 2);
        var options = new FineTuneOptions { Stages = 1, Epochs = 1, BatchSize = 3, LearningRate = 1e-3 };
        FineTuner.Unfreeze(network, options);
        using (var optimizer = FineTuner.CreateOptimizer(network, head, options, headWeightDecay: 0))
            new FineTuner().Run(network, head, optimizer, data, Classes, options);
        var backbone = EmbeddedResNet18.Info with { Preprocessing = data.Preprocessing };
        var metadata = new ModelMetadata
        {
            Classes = Classes, Backbone = backbone, Head = head.Spec, Training = new TrainOptions(), FineTune = options,
        };
        var path = folder.File("m/model");

        ModelFile.Save(GraftModel.From(head, metadata).WithBackbone(network.Network), path);
        var loaded = ModelFile.Load(path);
        using var loadedHead = loaded.CreateHead();
        using var loadedNetwork = StoredResNetWeights.Load(loaded.BackboneWeights);

        var expected = FineTuner.Classify(network, head, data.Val, data.Preprocessing, "layer4", 4);
        var actual = FineTuner.Classify(loadedNetwork, loadedHead, data.Val, data.Preprocessing, "layer4", 4);
        Assert.Equal(expected, actual);
        Assert.Equal(options, loaded.Metadata.FineTune);
        Assert.Equal(Values(network, "layer4.0.bn1.running_mean"), Values(loadedNetwork, "layer4.0.bn1.running_mean"));
    }

    static Process StartGraft(params string[] args) => GraftProcess.Start(threads: null, args);

    static void AssertLoadsOrIsAbsent(string path)
    {
        if (File.Exists(path))
            Assert.NotNull(ModelFile.Load(path));
    }

    /// <summary>Waits until <paramref name="path"/> is written after <paramref name="since"/>.</summary>
    static void WaitForWrite(Process process, string path, DateTime since, string? model)
    {
        var clock = Stopwatch.StartNew();
        while (!process.HasExited && clock.Elapsed < TimeSpan.FromMinutes(10)
               && (!File.Exists(path) || File.GetLastWriteTimeUtc(path) <= since))
        {
            if (model is not null)
                AssertLoadsOrIsAbsent(model);
            Thread.Sleep(20);
        }
        if (process.HasExited)
            Assert.Fail($"graft ended before writing {path} (exit code {process.ExitCode})");
        Assert.True(File.Exists(path), $"{path} did not appear within 10 minutes");
    }

    [Fact]
    public async Task InterruptedAndKilledRunsResumeFromTheirCheckpointAndTheModelIsNeverHalfWritten()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 2, valPerClass: 1, size: 64);
        var output = Path.Combine(folder.Path, "out");
        // Six short epochs: a Ctrl+C that a busy machine delays by seconds still lands before the end.
        string[] args = ["train", data, "--out", output, "--finetune", "last:1", "--finetune-epochs", "6",
            "--epochs", "5", "--batch-size", "4", "--patience", "0", "--cache", Path.Combine(folder.Path, "cache")];
        var checkpoint = Path.Combine(output, FineTuneCheckpoint.FileName);
        var model = Path.Combine(output, "model");

        // Ctrl+C: stops after the current step, keeps the best model, says how to go on.
        using (var first = StartGraft(args))
        {
            var stdout = first.StandardOutput.ReadToEndAsync();
            var stderr = first.StandardError.ReadToEndAsync();
            WaitForWrite(first, checkpoint, DateTime.MinValue, model);
            Process.Start("kill", ["-INT", first.Id.ToString()])!.WaitForExit();
            Assert.True(first.WaitForExit(TimeSpan.FromMinutes(2)), "graft did not stop within 2 minutes of Ctrl+C");
            var (output1, errors1) = (await stdout, await stderr);
            Assert.True(first.ExitCode == 130, errors1 + output1);
            Assert.Contains("--resume", errors1);
        }
        Assert.NotNull(ModelFile.Load(model));
        Assert.True(File.Exists(checkpoint));

        // SIGKILL once the resumed run has written its next checkpoint.
        using (var second = StartGraft([.. args, "--resume"]))
        {
            _ = second.StandardOutput.ReadToEndAsync();
            _ = second.StandardError.ReadToEndAsync();
            WaitForWrite(second, checkpoint, File.GetLastWriteTimeUtc(checkpoint), model);
            second.Kill(entireProcessTree: true);
            second.WaitForExit();
        }
        AssertLoadsOrIsAbsent(model);

        using var third = StartGraft([.. args, "--resume"]);
        var thirdOut = third.StandardOutput.ReadToEndAsync();
        var thirdErr = third.StandardError.ReadToEndAsync();
        // Generous: the machine may be busy; unloaded this takes well under a minute.
        Assert.True(third.WaitForExit(TimeSpan.FromMinutes(10)), "the resumed run did not finish in 10 minutes");
        var (output3, errors3) = (await thirdOut, await thirdErr);
        Assert.True(third.ExitCode == 0, errors3 + output3);

        Assert.False(File.Exists(checkpoint));
        var loaded = ModelFile.Load(model);
        Assert.NotEmpty(loaded.BackboneWeights);
        var history = File.ReadAllLines(Path.Combine(output, "history.csv"));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6"],
            history.Where(l => l.StartsWith("finetune,")).Select(l => l.Split(',')[1]));
        Assert.Equal(5, history.Count(l => l.StartsWith("head,")));

        using var predictor = Predictor.Open(output);
        var (metrics, _) = predictor.Evaluate(Path.Combine(data, "val"));
        Assert.Equal(2, metrics.Images);
    }

    [Fact]
    public void AnSvmHeadIsJudgedByItsHingeLossInBothPhases()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 4, valPerClass: 3, size: 64);
        var output = Path.Combine(folder.Path, "out");
        new TrainingRun().Run(new TrainRequest
        {
            DataDir = data, OutDir = output, Head = HeadSpec.Of("svm"), Options = TrainOptions.For("svm") with { Epochs = 6 },
            FineTune = FineTuneOptions.Parse("last:1") with { Epochs = 1 }, CacheDir = Path.Combine(folder.Path, "cache"),
        });

        // history.csv: phase,epoch,train_loss,train_accuracy,val_loss,...; the starting point of
        // fine-tuning is the head phase's kept head, so its val loss is that epoch's hinge loss.
        var rows = File.ReadAllLines(Path.Combine(output, "history.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var headBest = rows.Where(r => r[0] == "head" && r[^1] == "1").Select(r => double.Parse(r[4], CultureInfo.InvariantCulture)).Min();
        var start = double.Parse(rows.Single(r => r[0] == "finetune" && r[1] == "0")[4], CultureInfo.InvariantCulture);
        Assert.Equal(headBest, start, 3);
    }

    [Fact]
    public void FineTuningRefusesAClassWithNoDecodableTrainingImageOrNoValImageBeforeTraining()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 3, valPerClass: 2, size: 64);
        foreach (var file in Directory.GetFiles(Path.Combine(data, "train", "square")))
            File.WriteAllText(file, "not an image");
        var output = Path.Combine(folder.Path, "out");
        TrainRequest Request(string dataDir) => new()
        {
            DataDir = dataDir, OutDir = output, Options = new TrainOptions { Epochs = 2 },
            FineTune = FineTuneOptions.Parse("last:1") with { Epochs = 1 }, CacheDir = Path.Combine(folder.Path, "cache"),
        };

        var noClass = Assert.Throws<GraftException>(() => new TrainingRun().Run(Request(data))).Message;
        Assert.Contains("class 'square': no training image could be decoded", noClass);
        Assert.Contains(Path.Combine(data, "train", "square"), noClass); // names the files, quiet or not
        Assert.False(Directory.Exists(output));

        // --resume where no run was interrupted: refused before any work, --strategy auto or not.
        foreach (var strategy in new[] { "frozen", "auto" })
        {
            var resume = Assert.Throws<GraftException>(() => new TrainingRun().Run(Request(data) with
            {
                Strategy = strategy, FineTune = strategy == "auto" ? null : Request(data).FineTune, Resume = true,
            })).Message;
            Assert.Contains("no checkpoint to resume from", resume);
        }

        var noVal = Path.Combine(folder.Path, "no-val");
        ShapeImages.Write(noVal, classes: 2, trainPerClass: 3, valPerClass: 2, size: 64);
        foreach (var file in Directory.GetFiles(Path.Combine(noVal, "val"), "*", SearchOption.AllDirectories))
            File.WriteAllText(file, "not an image");
        var message = Assert.Throws<GraftException>(() => new TrainingRun().Run(Request(noVal))).Message;
        Assert.Contains("no validation image could be used", message);
        Assert.Contains("add images that can be decoded to the val folder", message);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void ResumeRefusesAnotherDataFolderOtherImagesOrOtherOptionsAndNamesThem()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 3, valPerClass: 2, size: 64);
        var output = Path.Combine(folder.Path, "out");
        var request = new TrainRequest
        {
            DataDir = data, OutDir = output, Options = new TrainOptions { Epochs = 3 },
            FineTune = FineTuneOptions.Parse("last:1") with { Epochs = 3 }, Resume = true,
            CacheDir = Path.Combine(folder.Path, "cache"),
        };

        // A checkpoint of this very run; the refusals come before any of its weights are used.
        using (var head = new Classifier(request.Head, 512, 2))
        {
            var metadata = new ModelMetadata
            {
                Classes = Classes, Backbone = EmbeddedResNet18.Info, Head = request.Head, Training = request.Options,
                FineTune = request.FineTune,
            };
            var identity = RunIdentity.Of(data, request.ValFraction, ImageFolderDataset.Load(data), "resnet18",
                "layer4", request.Head, request.Options, request.FineTune);
            Directory.CreateDirectory(output);
            new FineTuneCheckpoint(new FineTuneState(1, 1, 0.5, []), GraftModel.From(head, metadata), [], identity)
                .Save(Path.Combine(output, FineTuneCheckpoint.FileName));
        }
        string Refusal(TrainRequest changed) =>
            Assert.Throws<GraftException>(() => new TrainingRun().Run(changed)).Message;

        var copy = Path.Combine(folder.Path, "copy");
        foreach (var file in Directory.GetFiles(data, "*", SearchOption.AllDirectories))
            File.Copy(file, folder.File(Path.Combine("copy", Path.GetRelativePath(data, file))));
        var moved = Refusal(request with { DataDir = copy });
        Assert.Contains($"DATA {data} there, {copy} here", moved);
        Assert.Contains("Repeat the interrupted command with --resume", moved);
        Assert.DoesNotContain("images", moved);

        var extra = Path.Combine(data, "train", "circle", "extra.png");
        File.Copy(Directory.GetFiles(Path.Combine(data, "train", "square"))[0], extra);
        Assert.Contains("images 6 train and 4 val there, 7 and 4 here", Refusal(request));
        File.Delete(extra);

        var first = Directory.GetFiles(Path.Combine(data, "val", "circle")).Order().First();
        File.AppendAllText(first, "changed");
        Assert.Contains("images: as many, but other files, names or sizes here", Refusal(request));

        var options = Refusal(request with
        {
            Options = request.Options with { Seed = 5 }, FineTune = request.FineTune! with { Seed = 5, Epochs = 4 },
        });
        Assert.Contains("--seed 0 there, 5 here", options);
        Assert.Contains("--finetune-epochs 3 there, 4 here", options);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(options, "--seed"));

        // --patience 7 given to both phases, whose defaults differ: each is named with its phase.
        var patience = Refusal(request with
        {
            Options = request.Options with { Patience = 7 }, FineTune = request.FineTune! with { Patience = 7 },
        });
        Assert.Contains($"--patience (head) {request.Options.Patience} there, 7 here", patience);
        Assert.Contains($"--patience (fine-tuning) {request.FineTune!.Patience} there, 7 here", patience);
        Assert.Contains("--head linear there, mlp here", Refusal(request with { Head = HeadSpec.Of("mlp") }));
    }

    /// <summary>Runs graft with one thread to the end and returns its exit code and output.</summary>
    static async Task<(int ExitCode, string Stdout, string Stderr)> RunOneThread(params string[] args)
    {
        using var process = GraftProcess.Start(1, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), "graft did not finish in 10 minutes");
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Asserts that two texts have the same words and structure and every number within 1e-6.</summary>
    static void AssertSameWithin1e6(string expected, string actual, string what)
    {
        var number = new System.Text.RegularExpressions.Regex(@"-?\d+(\.\d+)?([eE][-+]?\d+)?");
        Assert.Equal(number.Replace(expected, "#"), number.Replace(actual, "#"));
        var first = number.Matches(expected).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        var second = number.Matches(actual).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
            Assert.True(Math.Abs(first[i] - second[i]) <= 1e-6, $"{what}, number {i}: {first[i]} against {second[i]}");
    }

    [Fact]
    public async Task ARunInterruptedInALaterEpochResumesToTheUninterruptedRunWithOneThread()
    {
        using var folder = new TempFolder();
        var data = Path.Combine(folder.Path, "shapes");
        ShapeImages.Write(data, classes: 2, trainPerClass: 3, valPerClass: 2, size: 64);
        string[] Args(string output) => ["train", data, "--out", output, "--finetune", "last:1",
            "--finetune-epochs", "9", "--epochs", "3", "--batch-size", "4", "--patience", "0", "--seed", "3",
            "--cache", Path.Combine(folder.Path, "cache")];

        var whole = Path.Combine(folder.Path, "whole");
        var (exit, _, errors) = await RunOneThread(Args(whole));
        Assert.True(exit == 0, $"exit code {exit}: {errors}");

        // Ctrl+C once epoch 2's checkpoint is written: the run stops in a later epoch (6 images, 2 steps an epoch).
        var resumed = Path.Combine(folder.Path, "resumed");
        var checkpoint = Path.Combine(resumed, FineTuneCheckpoint.FileName);
        var model = Path.Combine(resumed, "model");
        using (var first = GraftProcess.Start(1, Args(resumed)))
        {
            var stdout = first.StandardOutput.ReadToEndAsync();
            var stderr = first.StandardError.ReadToEndAsync();
            var written = DateTime.MinValue;
            do
            {
                // Polls only the checkpoint: reading the model too would slow graft enough to finish first.
                WaitForWrite(first, checkpoint, written, null);
                written = File.GetLastWriteTimeUtc(checkpoint);
            } while (FineTuneCheckpoint.Load(checkpoint).State.Epoch < 2);
            Process.Start("kill", ["-INT", first.Id.ToString()])!.WaitForExit();
            Assert.True(first.WaitForExit(TimeSpan.FromMinutes(2)), "graft did not stop within 2 minutes of Ctrl+C");
            var (output1, errors1) = (await stdout, await stderr);
            Assert.True(first.ExitCode == 130, errors1 + output1);
        }
        var stoppedAfter = FineTuneCheckpoint.Load(checkpoint).State.Epoch;
        Assert.InRange(stoppedAfter, 2, 8);

        // Other options are refused, and leave the checkpoint as it was.
        var (otherExit, _, otherErrors) = await RunOneThread([.. Args(resumed), "--finetune-lr", "0.001", "--resume"]);
        Assert.Equal(1, otherExit);
        Assert.Contains("--finetune-lr 0.0001 there, 0.001 here", otherErrors);
        Assert.Equal(stoppedAfter, FineTuneCheckpoint.Load(checkpoint).State.Epoch);

        // A model file that is not this run's best is refused, not reported as if it were, unless the
        // checkpoint's own weights are the best ones, which are then written again.
        var kept = Path.Combine(folder.Path, "kept-model");
        File.Copy(model, kept);
        File.Copy(Path.Combine(whole, "model"), model, overwrite: true);
        var stopped = FineTuneCheckpoint.Load(checkpoint).State;
        var (resumedExit, _, resumedErrors) = await RunOneThread([.. Args(resumed), "--resume"]);
        // With one thread both runs compute the same weights, so the whole run's model can be this run's best.
        var sameWeights = ModelFile.Load(Path.Combine(whole, "model")).Metadata.Backbone.WeightsFingerprint
                          == stopped.BestModel;
        if (stopped.BestEpoch != stopped.Epoch && !sameWeights)
        {
            Assert.Equal(1, resumedExit);
            Assert.Contains("was replaced by another model", resumedErrors);
            File.Copy(kept, model, overwrite: true);
            (resumedExit, _, resumedErrors) = await RunOneThread([.. Args(resumed), "--resume"]);
        }
        Assert.True(resumedExit == 0, resumedErrors);
        Assert.False(File.Exists(checkpoint));

        var history = File.ReadAllText(Path.Combine(resumed, "history.csv"));
        AssertSameWithin1e6(File.ReadAllText(Path.Combine(whole, "history.csv")), history, "history.csv");
        AssertSameWithin1e6(File.ReadAllText(Path.Combine(whole, "metrics.json")),
            File.ReadAllText(Path.Combine(resumed, "metrics.json")), "metrics.json");
        Assert.Contains("\nfinetune,0,,,", history);
        Assert.DoesNotContain("NaN", history);

        // Both phases counted: 3 head epochs, then 9 fine-tuning epochs after the starting point.
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(resumed, "metrics.json")));
        var training = metrics.RootElement.GetProperty("training");
        Assert.Equal(12, training.GetProperty("epochs_run").GetInt32());
        Assert.Equal(3, training.GetProperty("head_epochs").GetInt32());
        Assert.Equal(9, training.GetProperty("finetune_epochs").GetInt32());
        var fineTuneBest = training.GetProperty("finetune_best_epoch").GetInt32();
        Assert.Equal(fineTuneBest > 0 ? "finetune" : "head", training.GetProperty("best_phase").GetString());
        Assert.Equal(fineTuneBest > 0 ? fineTuneBest : training.GetProperty("head_best_epoch").GetInt32(),
            training.GetProperty("best_epoch").GetInt32());
    }
}
