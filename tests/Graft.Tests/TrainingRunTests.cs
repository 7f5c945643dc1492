using Graft.Running;
using Graft.Heads;
using Graft.Training;

namespace Graft.Tests;

/// <summary>
/// One feature cache for the whole test run, so each shared data set is extracted once however
/// many test classes train on it; deleted when the test process ends.
/// </summary>
public sealed class SharedCacheFixture : IDisposable
{
    static readonly Lazy<TempFolder> RunFolder = new(() =>
    {
        var folder = new TempFolder();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        return folder;
    });

    readonly TempFolder _outputs = new();

    /// <summary>The shared cache folder.</summary>
    public string Cache => Path.Combine(RunFolder.Value.Path, "cache");

    /// <summary>A new output folder.</summary>
    public string NewOut() => Path.Combine(_outputs.Path, "out-" + Guid.NewGuid().ToString("N")[..8]);

    /// <inheritdoc />
    public void Dispose() => _outputs.Dispose();
}

public class TrainingRunTests(SharedCacheFixture shared) : IClassFixture<SharedCacheFixture>
{
    TrainResult Train(string data, string head = "linear", int seed = 0, string? outDir = null) =>
        new TrainingRun().Run(new TrainRequest
        {
            DataDir = SharedData.Data(data), OutDir = outDir ?? shared.NewOut(), CacheDir = shared.Cache,
            Head = HeadSpec.Of(head), Options = TrainOptions.For(head) with { Seed = seed },
        });

    [SharedDataFact]
    public void LinearHeadOnAntsAndBeesReachesTheTutorialsAccuracy()
    {
        var result = Train("hymenoptera_data");
        Assert.True(result.Metrics.Val.Accuracy >= 0.93, $"val accuracy {result.Metrics.Val.Accuracy}");
        Assert.Equal(["ants", "bees"], result.Metrics.Classes);
        Assert.Equal(398, result.Metrics.Images.Used);
        Assert.Equal(153, result.Metrics.Val.Images);
        Assert.True(File.Exists(result.ModelPath));

        var again = Train("hymenoptera_data", "mlp");
        Assert.Equal(0, again.Extracted);
        Assert.Equal(398, again.FromCache);
    }

    [SharedDataFact]
    public void LinearHeadOnCatsAndDogsReaches095()
    {
        var result = Train("cats_and_dogs_small");
        Assert.True(result.Metrics.Val.Accuracy >= 0.95, $"val accuracy {result.Metrics.Val.Accuracy}");
    }

    [SharedDataFact]
    public void SameSeedGivesTheSameMetricsFileBitForBit()
    {
        var first = shared.NewOut();
        var second = shared.NewOut();
        Train("hymenoptera_data", seed: 5, outDir: first);
        Train("hymenoptera_data", seed: 5, outDir: second);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "metrics.json")),
            File.ReadAllBytes(Path.Combine(second, "metrics.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "history.csv")),
            File.ReadAllBytes(Path.Combine(second, "history.csv")));
    }

    [SharedDataFact]
    public void AnOutFolderThatCannotBeWrittenIsRefusedFirstAndDeadRunsTemporariesAreRemoved()
    {
        var outDir = shared.NewOut();
        Directory.CreateDirectory(outDir);
        var blocker = Path.Combine(outDir, "a-file");
        File.WriteAllText(blocker, "");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<GraftException>(() => Train("hymenoptera_data", outDir: Path.Combine(blocker, "m")));
        Assert.Contains("is a file, so the folder cannot be made", error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refused after {clock.Elapsed}");

        // Left by a killed process (no such PID): Graft's own is removed, a user's file of that shape is not.
        var dead = Path.Combine(outDir, "checkpoint.2147483646.tmp");
        var users = Path.Combine(outDir, "notes.2147483646.tmp");
        File.WriteAllText(dead, "half");
        File.WriteAllText(users, "mine");
        Train("hymenoptera_data", outDir: outDir);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(users));

        // A cache in the data would be read as a class; a file is no cache.
        error = Assert.Throws<GraftException>(() => new TrainingRun().Run(new TrainRequest
        {
            DataDir = SharedData.Data("hymenoptera_data"), OutDir = shared.NewOut(),
            CacheDir = Path.Combine(SharedData.Data("hymenoptera_data"), "cache"),
        }));
        Assert.Contains("--cache", error.Message);
        Assert.Contains("inside the data folder", error.Message);
        error = Assert.Throws<GraftException>(() => new TrainingRun().Run(new TrainRequest
        {
            DataDir = SharedData.Data("hymenoptera_data"), OutDir = shared.NewOut(), CacheDir = blocker,
        }));
        Assert.Contains("is a file", error.Message);

        // Through a link to the data folder, --out is still inside it.
        var link = Path.Combine(outDir, "data-link");
        Directory.CreateSymbolicLink(link, SharedData.Data("hymenoptera_data"));
        error = Assert.Throws<GraftException>(() => Train("hymenoptera_data", outDir: Path.Combine(link, "m")));
        Assert.Contains("inside the data folder", error.Message);
    }

    [SharedDataFact]
    public void OneTrainingImagePerClassGivesAnHonestNotAnExplodingValLoss()
    {
        // hymenoptera's val folder split 99/1: one ant and one bee to train on, 151 images to judge.
        var result = new TrainingRun().Run(new TrainRequest
        {
            DataDir = Path.Combine(SharedData.Data("hymenoptera_data"), "val"), OutDir = shared.NewOut(),
            CacheDir = shared.Cache, ValFraction = 0.99,
        });
        Assert.Equal(2, result.Metrics.Train.Images);
        // Features nearly constant over two images used to be scaled by up to 1e6: val loss 328.
        Assert.True(result.Metrics.Val.Loss < 10, $"val loss {result.Metrics.Val.Loss}");
        Assert.True(result.Metrics.Val.Accuracy > 0.5, $"val accuracy {result.Metrics.Val.Accuracy}");
    }

    [SharedDataFact]
    public void ASecondRunIntoAFolderInUseIsRefused()
    {
        var outDir = shared.NewOut();
        using (OutputFolder.Claim(outDir))
        {
            var error = Assert.Throws<GraftException>(() => Train("hymenoptera_data", outDir: outDir));
            Assert.Equal(0, Directory.EnumerateFiles(outDir).Count(f => !f.EndsWith(".graft-lock")));
            Assert.Contains("in use by another graft train run", error.Message);
            Assert.False(File.Exists(Path.Combine(outDir, "model")));
        }
        Train("hymenoptera_data", outDir: outDir);
        Assert.True(File.Exists(Path.Combine(outDir, "model")));
        Assert.False(File.Exists(Path.Combine(outDir, ".graft-lock")));
    }

    [SharedDataFact]
    public void PredictionsOfTheSavedModelMatchTheRunsMetrics()
    {
        var outDir = shared.NewOut();
        var result = Train("hymenoptera_data", "svm", outDir: outDir);
        using var predictor = Predictor.Open(outDir, new Graft.Features.FeatureCache(shared.Cache));
        var (metrics, summary) = predictor.Evaluate(SharedData.Data("hymenoptera_data/val"));
        Assert.Equal(result.Metrics.Val.Confusion, metrics.Confusion);
        Assert.Equal(result.Metrics.Val.Accuracy, metrics.Accuracy);
        Assert.Equal(153, summary.Used);
    }
}
