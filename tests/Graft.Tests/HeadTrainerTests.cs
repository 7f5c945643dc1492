using Graft.Features;
using Graft.Heads;
using Graft.Training;

namespace Graft.Tests;

public class HeadTrainerTests
{
    static FeatureSet Blobs(int count, int dim, int seed)
    {
        var rng = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % 3).ToArray();
        var features = labels
            .Select(l => Enumerable.Range(0, dim).Select(d => (float)(rng.NextDouble() + (d % 3 == l ? 3 : 0))).ToArray())
            .ToArray();
        return new FeatureSet
        {
            Features = features, Labels = labels, Paths = labels.Select((_, i) => $"img{i}").ToArray(),
            Skipped = [], Warnings = [],
        };
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    [InlineData("svm")]
    public void EachHeadLearnsSeparableClasses(string kind)
    {
        var trained = new HeadTrainer().Train(Blobs(90, 12, 1), Blobs(30, 12, 2), 3, HeadSpec.Of(kind, [32, 16]),
            TrainOptions.For(kind) with { Epochs = 40, Schedule = "none" });
        using var head = trained.Head;
        Assert.True(trained.History[trained.BestEpoch - 1].ValAccuracy > 0.9);
        Assert.Equal(trained.History.MinBy(r => r.ValLoss)!.Epoch, trained.BestEpoch);
    }

    [Fact]
    public void DivergingRunStopsAndKeepsTheLastGoodWeights()
    {
        var train = Blobs(60, 8, 3);
        var trained = new HeadTrainer().Train(train, Blobs(30, 8, 4), 3, HeadSpec.Of("linear"),
            new TrainOptions { Epochs = 50, LearningRate = 1e37, WeightDecay = 0 });
        using var head = trained.Head;
        Assert.Contains("diverged", trained.StopReason);
        Assert.Contains("--lr", trained.StopReason);
        var probabilities = Probabilities.Of(head, train.Features);
        Assert.All(probabilities.SelectMany(p => p), p => Assert.True(float.IsFinite(p)));
    }

    [Fact]
    public void NonFiniteFeaturesAreNamedNotBlamedOnTheLearningRate()
    {
        var val = Blobs(30, 8, 4);
        val.Features[7][2] = float.NaN;
        var error = Assert.Throws<GraftException>(() => new HeadTrainer().Train(Blobs(60, 8, 3), val, 3,
            HeadSpec.Of("linear"), new TrainOptions { Epochs = 5 }));
        Assert.Contains("not finite", error.Message);
        Assert.Contains("img7", error.Message);
        Assert.DoesNotContain("--lr", error.Message);
    }

    [Fact]
    public void EarlyStoppingEndsAfterPatienceEpochs()
    {
        // Labels shuffled at random: whatever the head learns of train makes val worse.
        var train = Blobs(60, 8, 5);
        var noise = new Random(5);
        var shuffled = new FeatureSet
        {
            Features = train.Features, Labels = train.Labels.Select(_ => noise.Next(3)).ToArray(), Paths = train.Paths,
            Skipped = [], Warnings = [],
        };
        var trained = new HeadTrainer().Train(shuffled, Blobs(30, 8, 6), 3, HeadSpec.Of("linear"),
            new TrainOptions { Epochs = 500, LearningRate = 0.05, WeightDecay = 0, Patience = 3 });
        using var head = trained.Head;
        Assert.StartsWith("early stop", trained.StopReason);
        Assert.Equal(trained.BestEpoch + 3, trained.History.Count);
    }

    [Fact]
    public void OneImageAloneAndInsideABatchGetTheSameProbabilities()
    {
        var set = Blobs(32, 512, 7);
        foreach (var kind in HeadSpec.Kinds)
        {
            var trained = new HeadTrainer().Train(set, set, 3, HeadSpec.Of(kind), TrainOptions.For(kind) with { Epochs = 3 });
            using var head = trained.Head;
            var batch = Probabilities.Of(head, set.Features);
            for (var i = 0; i < set.Count; i++)
            {
                var alone = Probabilities.Of(head, [set.Features[i]])[0];
                for (var c = 0; c < 3; c++)
                    Assert.Equal(batch[i][c], alone[c], 1e-5);
            }
        }
    }

    [Fact]
    public void BatchOfOneLeftOverDoesNotCrash()
    {
        var trained = new HeadTrainer().Train(Blobs(33, 8, 8), Blobs(9, 8, 9), 3, HeadSpec.Of("mlp", [8]),
            TrainOptions.For("mlp") with { Epochs = 2, BatchSize = 16 });
        trained.Head.Dispose();
        Assert.Equal(2, trained.History.Count);
    }
}
