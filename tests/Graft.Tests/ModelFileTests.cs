using Graft.Backbones;
using Graft.Data;
using Graft.Heads;
using Graft.Models;
using Graft.Training;
using static TorchSharp.torch;

namespace Graft.Tests;

public class ModelFileTests
{
    static (GraftModel Model, float[][] Features) TrainedToyModel(string kind)
    {
        var rng = new Random(3);
        var features = Enumerable.Range(0, 40)
            .Select(i => Enumerable.Range(0, 8).Select(_ => (float)rng.NextDouble() + (i % 2) * 0.5f).ToArray())
            .ToArray();
        var labels = Enumerable.Range(0, 40).Select(i => i % 2).ToArray();
        var set = new Graft.Features.FeatureSet
        {
            Features = features, Labels = labels, Paths = labels.Select(l => $"x{l}").ToArray(),
            Skipped = [], Warnings = [],
        };
        var spec = HeadSpec.Of(kind, [16, 8]);
        var trained = new HeadTrainer().Train(set, set, 2, spec, TrainOptions.For(kind) with { Epochs = 5 });
        var preprocessing = Preprocessing.TorchVision();
        var metadata = new ModelMetadata
        {
            Classes = ["a", "b"], Head = spec, Training = TrainOptions.For(kind),
            Backbone = new BackboneInfo("toy", "layer4", 8, preprocessing, "none"),
        };
        return (GraftModel.From(trained.Head, metadata), features);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("mlp")]
    [InlineData("svm")]
    public void RoundTripGivesIdenticalPredictions(string kind)
    {
        using var folder = new TempFolder();
        var (model, features) = TrainedToyModel(kind);
        var path = folder.File("m/model");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);

        using var before = model.CreateHead();
        using var after = loaded.CreateHead();
        var expected = Probabilities.Of(before, features);
        var actual = Probabilities.Of(after, features);
        for (var i = 0; i < features.Length; i++)
            Assert.Equal(expected[i], actual[i]);
        Assert.Equal(model.Metadata.Classes, loaded.Metadata.Classes);
        Assert.Equal(kind, loaded.Metadata.Head.Kind);
        Assert.Equal(model.Metadata.Backbone.Preprocessing.Mean, loaded.Metadata.Backbone.Preprocessing.Mean);
        Assert.Equal(model.Metadata.Backbone.Preprocessing.Resize, loaded.Metadata.Backbone.Preprocessing.Resize);
    }

    [Fact]
    public void TruncatedFileIsAClearError()
    {
        using var folder = new TempFolder();
        var path = folder.File("model");
        ModelFile.Save(TrainedToyModel("linear").Model, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<GraftException>(() => ModelFile.Load(path));
        Assert.Contains("damaged or truncated", error.Message);
    }

    [Fact]
    public void FlippedByteIsAClearError()
    {
        using var folder = new TempFolder();
        var path = folder.File("model");
        ModelFile.Save(TrainedToyModel("linear").Model, path);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length - 40] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<GraftException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void OtherFileIsNotAGraftModel()
    {
        using var folder = new TempFolder();
        var path = folder.File("model");
        File.WriteAllText(path, "{\"weights\": [1, 2, 3]}");
        Assert.Contains("not a Graft model", Assert.Throws<GraftException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void NewerFormatVersionNamesBothVersions()
    {
        using var folder = new TempFolder();
        var path = folder.File("model");
        ModelFile.Save(TrainedToyModel("linear").Model, path);
        var bytes = File.ReadAllBytes(path);
        BitConverter.TryWriteBytes(bytes.AsSpan(8), ModelFile.FormatVersion + 1);
        File.WriteAllBytes(path, bytes);
        var message = Assert.Throws<GraftException>(() => ModelFile.Load(path)).Message;
        Assert.Contains($"format {ModelFile.FormatVersion + 1}", message);
        Assert.Contains("newer Graft", message);
    }

    [Fact]
    public void SaveLeavesNoTemporaryFiles()
    {
        using var folder = new TempFolder();
        ModelFile.Save(TrainedToyModel("linear").Model, folder.File("model"));
        Assert.Equal(["model"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    /// <summary>Saves a model whose description was edited (the checksum stays valid) and loads it.</summary>
    static GraftException LoadEdited(Func<ModelMetadata, ModelMetadata> edit)
    {
        using var folder = new TempFolder();
        var model = TrainedToyModel("linear").Model;
        var path = folder.File("model");
        ModelFile.Save(model with { Metadata = edit(model.Metadata) }, path);
        return Assert.Throws<GraftException>(() =>
        {
            using var head = ModelFile.Load(path).CreateHead();
        });
    }

    [Fact]
    public void InconsistentDescriptionIsAClearErrorNotACrash()
    {
        Assert.Contains("class names", LoadEdited(m => m with { Classes = ["a", "a"] }).Message);
        Assert.Contains("head kind", LoadEdited(m => m with { Head = m.Head with { Kind = "forest" } }).Message);
        Assert.Contains("resize", LoadEdited(m => m with
        {
            Backbone = m.Backbone with
            {
                Preprocessing = m.Backbone.Preprocessing with { Resize = new ResizeSpec("crop", -5, 224) },
            },
        }).Message);
        Assert.Contains("do not fit", LoadEdited(m => m with { Classes = ["a", "b", "c"] }).Message);
        Assert.Contains("do not fit", LoadEdited(m => m with { Backbone = m.Backbone with { FeatureDim = 9 } }).Message);
    }
}
